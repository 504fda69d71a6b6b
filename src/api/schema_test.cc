#include "api/schema.h"

#include <gtest/gtest.h>

namespace klaxon::api {
namespace {

const nlohmann::json kSchema = {
    {"type", "object"},
    {"required", {"title"}},
    {"properties",
     {{"title", {{"type", "string"}, {"minLength", 1}, {"maxLength", 5}}},
      {"severity", {{"type", "string"}, {"enum", {"SEV-1", "SEV-2"}}}},
      {"count", {{"type", "integer"}, {"minimum", 1}}}}}};

TEST(Schema, AcceptsValidBody) {
  EXPECT_TRUE(ValidateBody(kSchema, {{"title", "abc"}, {"severity", "SEV-1"}}).ok());
}

TEST(Schema, ReportsEveryFieldWithItsPointer) {
  Status s = ValidateBody(kSchema, {{"severity", 3}, {"extra", true}, {"count", 0}});
  ASSERT_EQ(s.code(), Code::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& f : s.fields()) fields.push_back(f.field);
  EXPECT_EQ(fields.size(), 4u);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "/title"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "/severity"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "/extra"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "/count"), fields.end());
}

TEST(Schema, CountsCharactersNotBytes) {
  EXPECT_TRUE(ValidateBody(kSchema, {{"title", "ééééé"}}).ok());
  EXPECT_FALSE(ValidateBody(kSchema, {{"title", "éééééé"}}).ok());
}

TEST(Schema, RejectsNonObjectBody) {
  EXPECT_EQ(ValidateBody(kSchema, nlohmann::json::array()).code(), Code::kInvalidArgument);
}

TEST(Schema, ParsesBodies) {
  EXPECT_EQ(ParseJsonBody("{", false).status().code(), Code::kBadRequest);
  EXPECT_EQ(ParseJsonBody("", false).status().code(), Code::kBadRequest);
  EXPECT_TRUE(ParseJsonBody("", true).ok());
  EXPECT_TRUE(ParseJsonBody("{\"a\":1}", false).ok());
  EXPECT_EQ(ParseJsonBody("{\"a\":1e999}", false).status().code(), Code::kBadRequest);
}

}  // namespace
}  // namespace klaxon::api
