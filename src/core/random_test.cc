#include "core/random.h"

#include <gtest/gtest.h>

#include <set>

namespace klaxon {
namespace {

class RandomTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitCrypto(); }
};

bool UrlSafe(const std::string& s) {
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  return true;
}

TEST_F(RandomTest, TokenLengthIsUnpaddedBase64OfTheByteCount) {
  // ceil(4n/3) characters, no '=' padding.
  EXPECT_EQ(RandomToken(32).size(), 43u);
  EXPECT_EQ(RandomToken(24).size(), 32u);
  EXPECT_EQ(RandomToken(1).size(), 2u);
  EXPECT_EQ(RandomToken(2).size(), 3u);
  EXPECT_EQ(RandomToken(3).size(), 4u);
}

TEST_F(RandomTest, TokenUsesTheUrlSafeAlphabet) {
  std::set<char> seen;
  for (int i = 0; i < 200; ++i) {
    std::string t = RandomToken(32);
    EXPECT_TRUE(UrlSafe(t)) << t;
    EXPECT_EQ(t.find('='), std::string::npos) << t;
    EXPECT_EQ(t.find('\0'), std::string::npos);
    seen.insert(t.begin(), t.end());
  }
  // 8600 random characters cover nearly all of the 64-letter alphabet.
  EXPECT_GT(seen.size(), 60u);
}

TEST_F(RandomTest, TokensAreUnique) {
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) tokens.insert(RandomToken(32));
  EXPECT_EQ(tokens.size(), 1000u);
}

TEST_F(RandomTest, HashTokenIsDeterministicLowerHexSha256) {
  // SHA-256 test vectors (FIPS 180-2).
  EXPECT_EQ(HashToken(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string t = RandomToken(32);
  EXPECT_EQ(HashToken(t), HashToken(t));
  EXPECT_NE(HashToken(t), HashToken(t + "x"));
  EXPECT_EQ(HashToken(t).size(), 64u);
}

TEST_F(RandomTest, HashTokenCoversEmbeddedNulBytes) {
  std::string a("a\0b", 3), b("a\0c", 3);
  EXPECT_NE(HashToken(a), HashToken(b));
}

TEST_F(RandomTest, ConstantTimeEqual) {
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_TRUE(ConstantTimeEqual("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEqual("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEqual("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEqual("secret", "secre"));
  EXPECT_FALSE(ConstantTimeEqual("", "x"));
  EXPECT_FALSE(ConstantTimeEqual(std::string("a\0b", 3), std::string("a\0c", 3)));
}

}  // namespace
}  // namespace klaxon
