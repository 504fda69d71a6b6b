#include "notify/text.h"

#include <gtest/gtest.h>

namespace klaxon::notify {
namespace {

TEST(NotifyText, Escapes) {
  EXPECT_EQ(EscapeMrkdwn("a&b<c>d"), "a&amp;b&lt;c&gt;d");
  EXPECT_EQ(EscapeMattermost("@all <x>"), "@\u200Ball &lt;x&gt;");
  EXPECT_EQ(EscapeHtml("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(EscapeDiscord("*_~`|>#[]()<\\ plain-text."),
            "\\*\\_\\~\\`\\|\\>\\#\\[\\]\\(\\)\\<\\\\ plain-text.");
}

TEST(NotifyText, FixUtf8) {
  EXPECT_EQ(FixUtf8("héllo 🚨"), "héllo 🚨");
  EXPECT_EQ(FixUtf8("a\xC3(b"), "a\uFFFD(b");
  EXPECT_EQ(FixUtf8("\xC0\xAF"), "\uFFFD\uFFFD");                 // overlong
  EXPECT_EQ(FixUtf8("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");       // surrogate
  EXPECT_EQ(FixUtf8("\xF4\x90\x80\x80").substr(0, 3), "\uFFFD");  // > U+10FFFF
  EXPECT_EQ(FixUtf8("end\xE2\x82"), "end\uFFFD\uFFFD");
  EXPECT_EQ(FixUtf8("\xFF"
                    "abc"),
            "\uFFFD"
            "abc");                          // at the start
  EXPECT_EQ(FixUtf8("ab\xFF"), "ab\uFFFD");  // at the end
  EXPECT_EQ(FixUtf8("a\xFF\xFE"
                    "b\xC3\xA9"),
            "a\uFFFD\uFFFD"
            "b\xC3\xA9");  // runs kept
  EXPECT_EQ(FixUtf8(std::string("a\0b", 3)), std::string("a\0b", 3));
  EXPECT_EQ(FixUtf8(""), "");
}

TEST(NotifyText, TruncateCountsUtf16Units) {
  EXPECT_EQ(TextUnits("abc"), 3u);
  EXPECT_EQ(TextUnits("é"), 1u);
  EXPECT_EQ(TextUnits("🚨"), 2u);
  EXPECT_EQ(TruncateText("hello", 5), "hello");
  EXPECT_EQ(TruncateText("hello!", 5), "hell…");
  EXPECT_EQ(TruncateText("ééééé!", 5), "éééé…");
  EXPECT_EQ(TruncateText("a🚨b", 3), "a…");  // the emoji does not fit with the ellipsis
  EXPECT_EQ(TruncateText("ab", 0), "");
  EXPECT_EQ(TruncateText("ab", 1), "…");
  for (size_t n = 1; n < 12; ++n) EXPECT_LE(TextUnits(TruncateText("x🚨y🚨z🚨w", n)), n);
}

TEST(NotifyText, OneLine) {
  EXPECT_EQ(OneLine("a\r\nb\tc\x01\x7F"), "a  b c");
  EXPECT_EQ(OneLine("héllo"), "héllo");
}

TEST(NotifyText, Base64) {
  EXPECT_EQ(Base64Encode("hello?>"), "aGVsbG8/Pg==");
  EXPECT_EQ(Base64Encode("hello?>", true), "aGVsbG8_Pg");
  EXPECT_EQ(Base64Decode("aGVsbG8/Pg==").value(), "hello?>");
  EXPECT_EQ(Base64Decode("aGVsbG8_Pg", true).value(), "hello?>");
  EXPECT_FALSE(Base64Decode("aGVsbG8_Pg").has_value());
  EXPECT_FALSE(Base64Decode("aGVsbG8/Pg==", true).has_value());
  EXPECT_FALSE(Base64Decode("aGVs bG8=").has_value());
  EXPECT_EQ(Base64Decode("").value(), "");
}

TEST(NotifyText, HmacSha256Rfc4231Case2) {
  const std::string mac = HmacSha256("Jefe", "what do ya want for nothing?");
  EXPECT_EQ(Base64Encode(mac),
            Base64Encode(std::string("\x5b\xdc\xc1\x46\xbf\x60\x75\x4e\x6a\x04\x24\x26\x08\x95\x75"
                                     "\xc7\x5a\x00\x3f\x08\x9d\x27\x39\x83\x9d\xec\x58\xb9\x64\xec"
                                     "\x38\x43",
                                     32)));
}

TEST(NotifyText, EncodeHeaderText) {
  EXPECT_EQ(EncodeHeaderText("plain ascii"), "plain ascii");
  EXPECT_EQ(EncodeHeaderText("Störung"), "=?UTF-8?B?U3TDtnJ1bmc=?=");
  const std::string long_text(30, 'x');
  const std::string enc = EncodeHeaderText(long_text + "ééééééééééé");
  EXPECT_NE(enc.find("?=\r\n =?UTF-8?B?"), std::string::npos) << enc;
  // Words split between code points: each decodes to valid UTF-8 on its own.
  size_t pos = 0;
  while ((pos = enc.find("=?UTF-8?B?", pos)) != std::string::npos) {
    size_t end = enc.find("?=", pos + 10);
    auto word = Base64Decode(enc.substr(pos + 10, end - pos - 10));
    ASSERT_TRUE(word.has_value());
    EXPECT_EQ(FixUtf8(*word), *word);
    pos = end + 2;
  }
}

TEST(NotifyText, MailDate) {
  EXPECT_EQ(MailDate(1700000000000), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(MailDate(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(MailDate(951782400999), "Tue, 29 Feb 2000 00:00:00 +0000");
}

}  // namespace
}  // namespace klaxon::notify
