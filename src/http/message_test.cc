#include "http/message.h"

#include <gtest/gtest.h>

namespace klaxon::http {
namespace {

using Query = std::map<std::string, std::string>;

TEST(PercentDecode, DecodesEscapes) {
  EXPECT_EQ(PercentDecode("a%2Fb", false), "a/b");
  EXPECT_EQ(PercentDecode("a%2fb", false), "a/b");
  EXPECT_EQ(PercentDecode("%41%42%43", false), "ABC");
  EXPECT_EQ(PercentDecode("%E2%9C%93", false), "✓");
  EXPECT_EQ(PercentDecode("%00", false), std::string(1, '\0'));
  EXPECT_EQ(PercentDecode("", false), "");
  EXPECT_EQ(PercentDecode("plain", false), "plain");
}

TEST(PercentDecode, PlusIsSpaceOnlyInQueries) {
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a%2Bb", true), "a+b");
}

TEST(PercentDecode, MalformedEscapesStayLiteral) {
  EXPECT_EQ(PercentDecode("%zz", false), "%zz");
  EXPECT_EQ(PercentDecode("%2", false), "%2");
  EXPECT_EQ(PercentDecode("100%", false), "100%");
  EXPECT_EQ(PercentDecode("%", false), "%");
  EXPECT_EQ(PercentDecode("%g1", false), "%g1");
  EXPECT_EQ(PercentDecode("%1g", false), "%1g");
  EXPECT_EQ(PercentDecode("%%41", false), "%A");
  EXPECT_EQ(PercentDecode("a%2", true), "a%2");
}

TEST(PercentDecode, DecodesOnlyOnce) { EXPECT_EQ(PercentDecode("%252F", false), "%2F"); }

TEST(ParseQuery, Pairs) {
  EXPECT_EQ(ParseQuery("status=open&limit=20"), (Query{{"status", "open"}, {"limit", "20"}}));
  EXPECT_EQ(ParseQuery(""), Query{});
}

TEST(ParseQuery, DecodesKeysAndValues) {
  EXPECT_EQ(ParseQuery("q=disk+full"), (Query{{"q", "disk full"}}));
  EXPECT_EQ(ParseQuery("q=a%26b%3Dc"), (Query{{"q", "a&b=c"}}));
  EXPECT_EQ(ParseQuery("q=100%25"), (Query{{"q", "100%"}}));
  EXPECT_EQ(ParseQuery("q=%zz"), (Query{{"q", "%zz"}}));
  EXPECT_EQ(ParseQuery("%71=x"), (Query{{"q", "x"}}));
  EXPECT_EQ(ParseQuery("service=a%2Fb"), (Query{{"service", "a/b"}}));
}

TEST(ParseQuery, EdgeCases) {
  EXPECT_EQ(ParseQuery("flag"), (Query{{"flag", ""}}));
  EXPECT_EQ(ParseQuery("flag="), (Query{{"flag", ""}}));
  EXPECT_EQ(ParseQuery("&&a=1&&"), (Query{{"a", "1"}}));
  EXPECT_EQ(ParseQuery("k=v=w"), (Query{{"k", "v=w"}}));
  EXPECT_EQ(ParseQuery("a=1&a=2"), (Query{{"a", "2"}})) << "the last value wins";
}

Request WithHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  Request r;
  r.headers = std::move(headers);
  return r;
}

TEST(Request, HeaderLookup) {
  Request r = WithHeaders({{"content-type", "application/json"}, {"x-csrf-token", "abc"}});
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("x-csrf-token"), "abc");
  EXPECT_EQ(r.Header("authorization"), "");
}

TEST(Request, CookieParsing) {
  Request r = WithHeaders({{"cookie", "theme=dark; klaxon_session=s3cr3t; other=1"}});
  EXPECT_EQ(r.Cookie("klaxon_session"), "s3cr3t");
  EXPECT_EQ(r.Cookie("theme"), "dark");
  EXPECT_EQ(r.Cookie("other"), "1");
  EXPECT_EQ(r.Cookie("missing"), std::nullopt);
  EXPECT_EQ(r.Cookie("klaxon"), std::nullopt) << "a prefix of a name is not the name";
  EXPECT_EQ(r.Cookie("session"), std::nullopt) << "a suffix of a name is not the name";
}

TEST(Request, CookieEdgeCases) {
  EXPECT_EQ(WithHeaders({}).Cookie("klaxon_session"), std::nullopt);
  EXPECT_EQ(WithHeaders({{"cookie", ""}}).Cookie("klaxon_session"), std::nullopt);
  EXPECT_EQ(WithHeaders({{"cookie", "klaxon_session=abc"}}).Cookie("klaxon_session"), "abc");
  EXPECT_EQ(WithHeaders({{"cookie", "a=1;klaxon_session=abc"}}).Cookie("klaxon_session"), "abc");
  EXPECT_EQ(WithHeaders({{"cookie", "klaxon_session="}}).Cookie("klaxon_session"), "");
  EXPECT_EQ(WithHeaders({{"cookie", "k=a=b"}}).Cookie("k"), "a=b");
  EXPECT_EQ(WithHeaders({{"cookie", "junk; k=v"}}).Cookie("k"), "v");
  EXPECT_EQ(WithHeaders({{"cookie", "xklaxon_session=evil; klaxon_session=good"}})
                .Cookie("klaxon_session"),
            "good");
}

TEST(Response, Json) {
  Response r = Response::Json(201, {{"id", 1}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, R"({"id":1})");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0],
            (std::pair<std::string, std::string>{"Content-Type", "application/json"}));
}

TEST(Response, JsonWithInvalidUtf8DoesNotThrow) {
  Response r;
  EXPECT_NO_THROW(r = Response::Json(200, {{"s", std::string("bad \xff byte")}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.body.empty());
}

TEST(Response, TextAndNoContent) {
  Response t = Response::Text(200, "ok");
  EXPECT_EQ(t.body, "ok");
  EXPECT_EQ(t.headers.at(0).second, "text/plain; charset=utf-8");
  Response n = Response::NoContent();
  EXPECT_EQ(n.status, 204);
  EXPECT_TRUE(n.body.empty());
  EXPECT_TRUE(n.headers.empty());
}

TEST(Response, ProblemShape) {
  Status s = Invalid("request body has invalid fields",
                     {{"/title", "is required"}, {"/severity", "unknown severity"}});
  Response r = Response::Problem(s, "r-000123");
  EXPECT_EQ(r.status, 422);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Content-Type");
  EXPECT_EQ(r.headers[0].second, "application/problem+json");
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j, nlohmann::json::parse(R"({
    "type": "https://klaxon.dev/problems/invalid-argument",
    "title": "Invalid argument",
    "status": 422,
    "detail": "request body has invalid fields",
    "errors": [{"field": "/title", "message": "is required"},
               {"field": "/severity", "message": "unknown severity"}],
    "request_id": "r-000123"})"));
}

TEST(Response, ProblemWithoutFieldsHasAnEmptyErrorsArray) {
  Response r = Response::Problem(NotFound("no incident INC-9"), "r-1");
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(j["type"], "https://klaxon.dev/problems/not-found");
  EXPECT_EQ(j["detail"], "no incident INC-9");
  EXPECT_TRUE(j["errors"].is_array());
  EXPECT_TRUE(j["errors"].empty());
}

// docs/api.md lists the HTTP status of every error code.
TEST(Response, ProblemStatusForEveryCode) {
  struct Case {
    Code code;
    int http;
    const char* slug;
  };
  for (auto c :
       {Case{Code::kBadRequest, 400, "bad-request"},
        Case{Code::kInvalidArgument, 422, "invalid-argument"},
        Case{Code::kUnauthenticated, 401, "unauthenticated"},
        Case{Code::kPermissionDenied, 403, "permission-denied"},
        Case{Code::kNotFound, 404, "not-found"},
        Case{Code::kMethodNotAllowed, 405, "method-not-allowed"},
        Case{Code::kConflict, 409, "conflict"}, Case{Code::kTooLarge, 413, "too-large"},
        Case{Code::kUnsupportedMedia, 415, "unsupported-media-type"},
        Case{Code::kRateLimited, 429, "rate-limited"}, Case{Code::kUnavailable, 503, "unavailable"},
        Case{Code::kInternal, 500, "internal"}}) {
    Response r = Response::Problem(Status(c.code, "m"), "r-x");
    EXPECT_EQ(r.status, c.http) << c.slug;
    nlohmann::json j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["status"], c.http) << c.slug;
    EXPECT_EQ(j["type"], std::string("https://klaxon.dev/problems/") + c.slug);
    EXPECT_EQ(j["title"], CodeTitle(c.code));
    EXPECT_EQ(j["request_id"], "r-x");
  }
}

}  // namespace
}  // namespace klaxon::http
