#include "notify/action_links.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "notify/text.h"

namespace klaxon::notify {
namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";  // 32 bytes
constexpr TimeMs kNow = 1700000000000;

ActionClaim Claim() {
  ActionClaim c;
  c.action = "ack";
  c.subject = 42;
  c.user_id = 7;
  c.expires_at = kNow + 24 * 3600 * 1000LL;
  c.nonce = "q1w2e3r4t5y6u7i8o9p0aa";
  return c;
}

std::string Payload(const std::string& token) { return token.substr(0, token.find('.')); }
std::string Signature(const std::string& token) { return token.substr(token.find('.') + 1); }

TEST(ActionLinks, RoundTrip) {
  const std::string token = SignAction(kKey, Claim());
  ASSERT_FALSE(token.empty());
  // URL-safe: no characters that need escaping in a path.
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
      std::string::npos);
  auto c = VerifyAction(kKey, token, kNow);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->action, "ack");
  EXPECT_EQ(c->subject, 42);
  EXPECT_EQ(c->user_id, 7);
  EXPECT_EQ(c->expires_at, Claim().expires_at);
  EXPECT_EQ(c->nonce, Claim().nonce);
  // The payload is the documented JSON.
  auto json = nlohmann::json::parse(Base64Decode(Payload(token), true).value());
  EXPECT_EQ(
      json,
      (nlohmann::json{
          {"a", "ack"}, {"i", 42}, {"u", 7}, {"e", Claim().expires_at}, {"n", Claim().nonce}}));
}

TEST(ActionLinks, EveryActionAndLargeIds) {
  for (const char* action : {"ack", "resolve", "verify"}) {
    ActionClaim claim = Claim();
    claim.action = action;
    claim.subject = 9007199254740993;  // beyond a double's exact range
    auto c = VerifyAction(kKey, SignAction(kKey, claim), kNow);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->action, action);
    EXPECT_EQ(c->subject, 9007199254740993);
  }
}

TEST(ActionLinks, TamperedPayloadIsRejected) {
  const std::string token = SignAction(kKey, Claim());
  ActionClaim other = Claim();
  other.subject = 43;  // someone else's incident
  const std::string forged =
      Payload(SignAction("another key of thirty-two bytes!", other)) + "." + Signature(token);
  auto c = VerifyAction(kKey, forged, kNow);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(c.status().message(), "invalid link");
  // A single flipped character anywhere in the payload.
  for (size_t i = 0; i < Payload(token).size(); ++i) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(VerifyAction(kKey, t, kNow).status().code(), Code::kUnauthenticated) << i;
  }
}

TEST(ActionLinks, TamperedSignatureIsRejected) {
  const std::string token = SignAction(kKey, Claim());
  const size_t dot = token.find('.');
  for (size_t i = dot + 1; i < token.size(); ++i) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(VerifyAction(kKey, t, kNow).status().code(), Code::kUnauthenticated) << i;
  }
  EXPECT_EQ(VerifyAction(kKey, token.substr(0, token.size() - 1), kNow).status().code(),
            Code::kUnauthenticated);
  EXPECT_EQ(VerifyAction(kKey, Payload(token) + ".", kNow).status().code(), Code::kUnauthenticated);
}

TEST(ActionLinks, WrongKeyIsRejected) {
  const std::string token = SignAction(kKey, Claim());
  auto c = VerifyAction("fedcba9876543210fedcba9876543210", token, kNow);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnauthenticated);
}

TEST(ActionLinks, ExpiredLinkIsAConflict) {
  const std::string token = SignAction(kKey, Claim());
  EXPECT_TRUE(VerifyAction(kKey, token, Claim().expires_at - 1).ok());
  auto c = VerifyAction(kKey, token, Claim().expires_at);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kConflict);
  EXPECT_EQ(c.status().message(), "link expired");
  // A forged link is "invalid", never "expired", however old it claims to be.
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(VerifyAction(kKey, forged, Claim().expires_at + 1).status().code(),
            Code::kUnauthenticated);
}

TEST(ActionLinks, GarbageIsRejected) {
  const std::string mac_of_junk = Base64Encode(HmacSha256(kKey, "bm90IGpzb24"), true);
  for (const std::string& t :
       {std::string(), std::string("."), std::string(".."), std::string("abc"),
        std::string("abc.def"), std::string("a.b.c"), std::string("%%%.%%%"),
        std::string(5000, 'A') + "." + std::string(43, 'A'),
        // Validly signed, but not a JSON object with the right fields.
        std::string("bm90IGpzb24.") + mac_of_junk,
        Base64Encode(R"({"a":"ack"})", true) + "." +
            Base64Encode(HmacSha256(kKey, Base64Encode(R"({"a":"ack"})", true)), true),
        Base64Encode(R"({"a":"ack","i":"42","u":7,"e":1,"n":"x"})", true) + "." +
            Base64Encode(
                HmacSha256(kKey, Base64Encode(R"({"a":"ack","i":"42","u":7,"e":1,"n":"x"})", true)),
                true)}) {
    auto c = VerifyAction(kKey, t, kNow);
    ASSERT_FALSE(c.ok()) << t;
    EXPECT_EQ(c.status().code(), Code::kUnauthenticated) << t;
  }
}

TEST(ActionLinks, ShortKeysAreRefused) {
  EXPECT_EQ(SignAction("short", Claim()), "");
  auto c = VerifyAction("short", SignAction(kKey, Claim()), kNow);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInternal);
}

TEST(ActionLinks, NoncesMakeTokensDistinct) {
  ActionClaim a = Claim(), b = Claim();
  b.nonce = "another-nonce";
  EXPECT_NE(SignAction(kKey, a), SignAction(kKey, b));
  EXPECT_EQ(SignAction(kKey, a), SignAction(kKey, a));  // pure
}

}  // namespace
}  // namespace klaxon::notify
