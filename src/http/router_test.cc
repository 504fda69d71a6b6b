#include "http/router.h"

#include <gtest/gtest.h>

namespace klaxon::http {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    list_ = router_.Add("GET", "/api/v1/incidents");
    declare_ = router_.Add("POST", "/api/v1/incidents");
    get_ = router_.Add("GET", "/api/v1/incidents/{id}");
    status_ = router_.Add("POST", "/api/v1/incidents/{id}/status");
    stream_ = router_.Add("GET", "/api/v1/events/stream");
    revoke_ = router_.Add("DELETE", "/api/v1/tokens/{id}");
    pair_ = router_.Add("GET", "/a/{x}/b/{y}");
    root_ = router_.Add("GET", "/");
  }

  Router router_;
  size_t list_, declare_, get_, status_, stream_, revoke_, pair_, root_;
};

TEST_F(RouterTest, AddReturnsConsecutiveIndexes) {
  EXPECT_EQ(list_, 0u);
  EXPECT_EQ(declare_, 1u);
  EXPECT_EQ(root_, 7u);
}

TEST_F(RouterTest, MatchesMethodAndPath) {
  auto m = router_.Find("GET", "/api/v1/incidents");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->index, list_);
  EXPECT_TRUE(m->params.empty());
  m = router_.Find("POST", "/api/v1/incidents");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->index, declare_);
  m = router_.Find("GET", "/api/v1/events/stream");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->index, stream_);
}

TEST_F(RouterTest, ExtractsParameters) {
  auto m = router_.Find("GET", "/api/v1/incidents/INC-42");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->index, get_);
  EXPECT_EQ(m->params, (std::map<std::string, std::string>{{"id", "INC-42"}}));

  m = router_.Find("POST", "/api/v1/incidents/7/status");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->index, status_);
  EXPECT_EQ(m->params.at("id"), "7");

  m = router_.Find("GET", "/a/1/b/two");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->index, pair_);
  EXPECT_EQ(m->params, (std::map<std::string, std::string>{{"x", "1"}, {"y", "two"}}));
}

TEST_F(RouterTest, LiteralSegmentsMustMatchExactly) {
  EXPECT_FALSE(router_.Find("GET", "/api/v1/Incidents"));
  EXPECT_FALSE(router_.Find("GET", "/api/v2/incidents"));
  EXPECT_FALSE(router_.Find("GET", "/a/1/c/2"));
  EXPECT_FALSE(router_.Find("GET", "/api/v1/incidentsx"));
  EXPECT_FALSE(router_.Find("GET", "/api/v1"));
  EXPECT_FALSE(router_.Find("POST", "/api/v1/incidents/7/status/extra"));
}

TEST_F(RouterTest, UnknownPathIs404NotMethodNotAllowed) {
  bool known = true;
  EXPECT_FALSE(router_.Find("GET", "/api/v1/nothing", &known));
  EXPECT_FALSE(known);
  known = true;
  EXPECT_FALSE(router_.Find("POST", "/api/v1/incidents/7/nope", &known));
  EXPECT_FALSE(known);
}

TEST_F(RouterTest, KnownPathWithOtherMethodIs405) {
  bool known = false;
  EXPECT_FALSE(router_.Find("DELETE", "/api/v1/incidents", &known));
  EXPECT_TRUE(known);
  known = false;
  EXPECT_FALSE(router_.Find("GET", "/api/v1/incidents/3/status", &known));
  EXPECT_TRUE(known);
  known = false;
  EXPECT_FALSE(router_.Find("GET", "/api/v1/tokens/3", &known));
  EXPECT_TRUE(known);
  known = false;
  EXPECT_FALSE(router_.Find("get", "/api/v1/incidents", &known)) << "methods are case-sensitive";
  EXPECT_TRUE(known);
}

TEST_F(RouterTest, PathKnownIsResetOnEveryCall) {
  bool known = false;
  EXPECT_FALSE(router_.Find("PUT", "/api/v1/incidents", &known));
  ASSERT_TRUE(known);
  EXPECT_FALSE(router_.Find("PUT", "/nowhere", &known));
  EXPECT_FALSE(known);
  EXPECT_TRUE(router_.Find("GET", "/api/v1/incidents", &known));
  EXPECT_FALSE(known);
}

TEST_F(RouterTest, TrailingAndRepeatedSlashesAreIgnored) {
  for (const char* p :
       {"/api/v1/incidents/", "//api//v1/incidents", "api/v1/incidents", "/api/v1/incidents//"}) {
    auto m = router_.Find("GET", p);
    ASSERT_TRUE(m) << p;
    EXPECT_EQ(m->index, list_) << p;
  }
  auto m = router_.Find("GET", "/api/v1/incidents/9/");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->index, get_);
  EXPECT_EQ(m->params.at("id"), "9");
}

TEST_F(RouterTest, EmptyParameterSegmentDoesNotMatch) {
  // "/api/v1/incidents//status" has no id, so it must not reach the status handler.
  auto m = router_.Find("POST", "/api/v1/incidents//status");
  EXPECT_FALSE(m && m->index == status_);
}

TEST_F(RouterTest, Root) {
  auto m = router_.Find("GET", "/");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->index, root_);
  bool known = false;
  EXPECT_FALSE(router_.Find("POST", "/", &known));
  EXPECT_TRUE(known);
}

TEST_F(RouterTest, AllowedMethods) {
  EXPECT_EQ(router_.AllowedMethods("/api/v1/incidents"), "GET, POST");
  EXPECT_EQ(router_.AllowedMethods("/api/v1/incidents/5"), "GET");
  EXPECT_EQ(router_.AllowedMethods("/api/v1/tokens/5"), "DELETE");
  EXPECT_EQ(router_.AllowedMethods("/nowhere"), "");
}

TEST(SplitPath, Segments) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(SplitPath("/api/v1/incidents"), (V{"api", "v1", "incidents"}));
  EXPECT_EQ(SplitPath("/a//b/"), (V{"a", "b"}));
  EXPECT_EQ(SplitPath("a"), (V{"a"}));
  EXPECT_TRUE(SplitPath("/").empty());
  EXPECT_TRUE(SplitPath("").empty());
}

}  // namespace
}  // namespace klaxon::http
