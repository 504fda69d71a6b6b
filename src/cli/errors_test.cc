#include "cli/errors.h"

#include <gtest/gtest.h>

namespace klaxon::cli {
namespace {

TEST(CliErrorsTest, UsesTheProblemDetail) {
  EXPECT_EQ(FormatApiError(409, R"({"type":"https://klaxon.dev/problems/conflict",
      "title":"Conflict","status":409,"detail":"incident INC-3 is already resolved"})"),
            "409 Conflict: incident INC-3 is already resolved");
}

TEST(CliErrorsTest, ListsFieldErrors) {
  EXPECT_EQ(FormatApiError(422, R"({"title":"Invalid argument","status":422,
      "detail":"request body has invalid fields",
      "errors":[{"field":"/title","message":"is required"},
                {"field":"/colour","message":"unknown field"}]})"),
            "422 Unprocessable Entity: request body has invalid fields "
            "(title: is required; colour: unknown field)");
}

TEST(CliErrorsTest, LeavesOutFieldErrorsTheDetailAlreadySays) {
  EXPECT_EQ(FormatApiError(422, R"({"status":422,
      "detail":"request body is invalid: /title must not be empty",
      "errors":[{"field":"/title","message":"must not be empty"},
                {"field":"/impact","message":"is too long"}]})"),
            "422 Unprocessable Entity: request body is invalid: /title must not be empty "
            "(impact: is too long)");
}

TEST(CliErrorsTest, FallsBackToTheTitle) {
  EXPECT_EQ(FormatApiError(403, R"({"title":"Permission denied","status":403})"),
            "403 Forbidden: Permission denied");
}

TEST(CliErrorsTest, AddsTheRequestIdToServerErrors) {
  EXPECT_EQ(FormatApiError(500, R"({"title":"Internal error","status":500,"detail":"boom",
      "request_id":"r-000123"})"),
            "500 Internal Server Error: boom [request r-000123]");
  EXPECT_EQ(FormatApiError(404, R"({"status":404,"detail":"no incident 9",
      "request_id":"r-1"})"),
            "404 Not Found: no incident 9");
}

TEST(CliErrorsTest, HandlesBodiesThatAreNotProblems) {
  EXPECT_EQ(FormatApiError(502, "\n<html>Bad gateway</html>\nmore"),
            "502 Bad Gateway: <html>Bad gateway</html>");
  EXPECT_EQ(FormatApiError(404, ""), "404 Not Found");
  EXPECT_EQ(FormatApiError(418, "[1,2]"), "418");
  EXPECT_EQ(FormatApiError(409, R"({"detail":42})"), "409 Conflict");
}

TEST(CliErrorsTest, SanitizesWhatTheServerSent) {
  EXPECT_EQ(FormatApiError(409, "{\"detail\":\"a\\u001b[2Jb\\nc\"}"), "409 Conflict: a [2Jb c");
}

TEST(CliErrorsTest, FormatsTransportErrors) {
  EXPECT_EQ(FormatTransportError("http://127.0.0.1:9", "Connection refused"),
            "cannot reach http://127.0.0.1:9: Connection refused");
}

}  // namespace
}  // namespace klaxon::cli
