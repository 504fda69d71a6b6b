#include <gtest/gtest.h>

#include "notify/channels.h"
#include "notify/text.h"

namespace klaxon::notify {
namespace {

constexpr TimeMs kNow = 1700000000000;  // Tue, 14 Nov 2023 22:13:20 +0000

Message Page() {
  Message m;
  m.incident_ref = "INC-42";
  m.title = "Checkout <b>5xx</b> & friends";
  m.severity = "SEV-1";
  m.status = "triggered";
  m.service = "checkout";
  m.summary = "Line one\nLine \"two\"";
  m.console_url = "https://klaxon.example/incidents/42";
  m.ack_url = "https://klaxon.example/a/ACK?x=1&y=2";
  m.resolve_url = "https://klaxon.example/a/RES";
  m.runbook_url = "https://wiki.example/rb";
  m.recipient_name = "Alice";
  m.at = kNow;
  return m;
}

Mail MustBuild(const Message& m, const std::string& from = "Klaxon <klaxon@example.com>",
               const std::string& to = "alice@example.com", const Templates& t = {}) {
  auto r = BuildMail(from, to, m, t, "n-17", kNow);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : Mail{};
}

// The header block (up to the first empty line), unfolded, one entry per header.
std::vector<std::string> HeaderLines(const std::string& msg) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t end = msg.find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;
    std::string line = msg.substr(pos, end - pos);
    if (line[0] == ' ' || line[0] == '\t') {
      out.back() += line;
    } else {
      out.push_back(line);
    }
    pos = end + 2;
  }
  return out;
}

std::string HeaderValue(const std::string& msg, const std::string& name) {
  for (const auto& l : HeaderLines(msg)) {
    if (l.rfind(name + ": ", 0) == 0) return l.substr(name.size() + 2);
  }
  return "";
}

// The decoded body of the part with `content_type`.
std::string Part(const std::string& msg, const std::string& content_type) {
  size_t at = msg.find("Content-Type: " + content_type);
  if (at == std::string::npos) return "";
  size_t start = msg.find("\r\n\r\n", at) + 4;
  size_t end = msg.find("\r\n--", start);
  std::string b64;
  for (char c : msg.substr(start, end - start)) {
    if (c != '\r' && c != '\n') b64 += c;
  }
  return Base64Decode(b64).value_or("<not base64>");
}

TEST(NotifyMail, PageIsACompleteMimeMessage) {
  Mail mail = MustBuild(Page());
  EXPECT_EQ(mail.from, "Klaxon <klaxon@example.com>");
  EXPECT_EQ(mail.to, std::vector<std::string>{"alice@example.com"});
  EXPECT_EQ(mail.subject, "[SEV-1] INC-42 triggered: Checkout <b>5xx</b> & friends");
  const std::string& msg = mail.text;
  // CRLF only, lines short.
  for (size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] == '\n') {
      ASSERT_TRUE(i > 0 && msg[i - 1] == '\r') << "bare LF at " << i;
    }
    if (msg[i] == '\r') {
      ASSERT_TRUE(i + 1 < msg.size() && msg[i + 1] == '\n');
    }
  }
  EXPECT_EQ(HeaderValue(msg, "From"), "Klaxon <klaxon@example.com>");
  EXPECT_EQ(HeaderValue(msg, "To"), "alice@example.com");
  EXPECT_EQ(HeaderValue(msg, "Subject"), mail.subject);
  EXPECT_EQ(HeaderValue(msg, "Date"), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(HeaderValue(msg, "Message-ID"), "<n-17@klaxon>");
  EXPECT_EQ(HeaderValue(msg, "MIME-Version"), "1.0");
  EXPECT_EQ(HeaderValue(msg, "Content-Type"), "multipart/alternative; boundary=\"=_klaxon_n-17\"");
  EXPECT_EQ(HeaderValue(msg, "Auto-Submitted"), "auto-generated");
  EXPECT_NE(msg.find("\r\n--=_klaxon_n-17\r\nContent-Type: text/plain; charset=UTF-8\r\n"),
            std::string::npos);
  EXPECT_NE(msg.find("\r\n--=_klaxon_n-17--\r\n"), std::string::npos);

  const std::string text = Part(msg, "text/plain");
  EXPECT_NE(text.find("[SEV-1] INC-42: Checkout <b>5xx</b> & friends\r\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Acknowledge: https://klaxon.example/a/ACK?x=1&y=2\r\n"), std::string::npos);
  EXPECT_NE(text.find("Resolve:     https://klaxon.example/a/RES\r\n"), std::string::npos);
  EXPECT_NE(text.find("Service:     checkout\r\n"), std::string::npos);
  EXPECT_NE(text.find("Runbook:     https://wiki.example/rb\r\n"), std::string::npos);
  EXPECT_NE(text.find("Open in Klaxon: https://klaxon.example/incidents/42\r\n"),
            std::string::npos);
  EXPECT_EQ(text.find("\n\r\n\r\n\r\n"), std::string::npos) << "no runs of blank lines";

  const std::string html = Part(msg, "text/html");
  EXPECT_NE(html.find("INC-42: Checkout &lt;b&gt;5xx&lt;/b&gt; &amp; friends</h2>"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("<b>5xx"), std::string::npos);
  EXPECT_NE(html.find("href=\"https://klaxon.example/a/ACK?x=1&amp;y=2\""), std::string::npos);
  EXPECT_NE(html.find(">Acknowledge</a>"), std::string::npos);
  EXPECT_NE(html.find(">Resolve</a>"), std::string::npos);
  EXPECT_NE(html.find("Line one\r\nLine &quot;two&quot;"), std::string::npos);
}

TEST(NotifyMail, NonAsciiSubjectIsEncodedWords) {
  Message m = Page();
  m.title = "Zahlungsdienst gestört — 결제 오류가 발생했습니다, bitte sofort prüfen 🚨";
  Mail mail = MustBuild(m);
  const std::string subject = HeaderValue(mail.text, "Subject");
  ASSERT_EQ(subject.rfind("=?UTF-8?B?", 0), 0u) << subject;
  // Every physical line stays short, every word decodes, and together they are the subject.
  std::string decoded;
  size_t pos = 0;
  while ((pos = subject.find("=?UTF-8?B?", pos)) != std::string::npos) {
    size_t end = subject.find("?=", pos + 10);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end + 2 - pos, 75u);
    auto word = Base64Decode(subject.substr(pos + 10, end - pos - 10));
    ASSERT_TRUE(word.has_value());
    decoded += *word;
    pos = end + 2;
  }
  EXPECT_EQ(decoded, mail.subject);
  EXPECT_EQ(mail.subject, "[SEV-1] INC-42 triggered: " + m.title);
  size_t line_start = 0;
  while (line_start < mail.text.size()) {
    size_t end = mail.text.find("\r\n", line_start);
    EXPECT_LE(end - line_start, 78u);
    line_start = end + 2;
  }
  EXPECT_NE(Part(mail.text, "text/plain").find("결제 오류가"), std::string::npos);
}

TEST(NotifyMail, HeaderInjectionIsImpossible) {
  Message m = Page();
  m.title = "x\r\nBcc: victim@example.com\r\n\r\nbody";
  m.incident_ref = "INC-1\nX-Evil: 1";
  Mail mail = MustBuild(m, "Klaxon\r\nBcc: a@b.c <klaxon@example.com>");
  for (const auto& line : HeaderLines(mail.text)) {
    EXPECT_NE(line.rfind("Bcc:", 0), 0u) << line;
    EXPECT_NE(line.rfind("X-Evil:", 0), 0u) << line;
  }
  EXPECT_EQ(mail.subject.find('\n'), std::string::npos);
  EXPECT_EQ(mail.subject.find('\r'), std::string::npos);
  // The message id is reduced to safe characters.
  auto r = BuildMail("k@example.com", "a@example.com", m, {}, "id>\r\nX: y", kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(HeaderValue(r->text, "Message-ID"), "<idXy@klaxon>");
}

TEST(NotifyMail, DisplayNamesAreQuotedOrEncoded) {
  EXPECT_EQ(HeaderValue(MustBuild(Page(), "klaxon@example.com").text, "From"),
            "klaxon@example.com");
  EXPECT_EQ(HeaderValue(MustBuild(Page(), "Klaxon, Ops <k@example.com>").text, "From"),
            "\"Klaxon, Ops\" <k@example.com>");
  EXPECT_EQ(HeaderValue(MustBuild(Page(), "Störung <k@example.com>").text, "From"),
            "=?UTF-8?B?U3TDtnJ1bmc=?= <k@example.com>");
}

TEST(NotifyMail, RejectsBadAddressesAndIds) {
  const Message m = Page();
  EXPECT_FALSE(BuildMail("k@example.com", "", m, {}, "id", kNow).ok());
  EXPECT_FALSE(BuildMail("k@example.com", "alice", m, {}, "id", kNow).ok());
  EXPECT_FALSE(BuildMail("k@example.com", "a@b.c, evil@x.y", m, {}, "id", kNow).ok());
  EXPECT_FALSE(BuildMail("k@example.com", "a@b.c\r\nBcc: x@y.z", m, {}, "id", kNow).ok());
  EXPECT_FALSE(BuildMail("k@example.com", "<a@b.c>", m, {}, "id", kNow).ok());
  EXPECT_FALSE(BuildMail("", "a@b.c", m, {}, "id", kNow).ok());
  EXPECT_FALSE(BuildMail("k@example.com", "a@b.c", m, {}, "", kNow).ok());
  EXPECT_TRUE(BuildMail("k@example.com", " a@b.c ", m, {}, "id", kNow).ok());
}

TEST(NotifyMail, TestAndHandoffTexts) {
  Message test;
  test.kind = "test";
  test.recipient_name = "Alice";
  test.verify_code = "482913";
  test.ack_url = "https://klaxon.example/a/VERIFY";
  Mail t = MustBuild(test);
  EXPECT_EQ(t.subject, "Klaxon verification code: 482913");
  const std::string text = Part(t.text, "text/plain");
  EXPECT_NE(text.find("Hello Alice,\r\n\r\nthis is a test message from Klaxon. Your verification "
                      "code is:\r\n\r\n    482913\r\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("one click: https://klaxon.example/a/VERIFY"), std::string::npos);
  EXPECT_NE(Part(t.text, "text/html").find(">Verify this contact method</a>"), std::string::npos);

  Message h;
  h.kind = "handoff";
  h.title = "You are now on call for Primary";
  h.recipient_name = "Bob";
  h.summary = "INC-7 [SEV-2] Disk full\n";
  h.console_url = "https://klaxon.example/ui/schedules/3";
  Mail hm = MustBuild(h);
  EXPECT_EQ(hm.subject, "You are now on call for Primary");
  EXPECT_EQ(Part(hm.text, "text/plain"),
            "Hello Bob,\r\n\r\nYou are now on call for Primary.\r\n\r\nOpen incidents:\r\n"
            "INC-7 [SEV-2] Disk full\r\n\r\nSchedule: https://klaxon.example/ui/schedules/3\r\n"
            "\r\n-- \r\nKlaxon\r\n");
  const std::string html = Part(hm.text, "text/html");
  EXPECT_NE(html.find(">You are now on call for Primary</h2>"), std::string::npos) << html;
  EXPECT_EQ(html.find(">Acknowledge</a>"), std::string::npos);
}

TEST(NotifyMail, ResolvedHasNoActionButtons) {
  Message m = Page();
  m.kind = "resolved";
  m.status = "resolved";
  m.ack_url = m.resolve_url = "";
  Mail mail = MustBuild(m);
  EXPECT_EQ(mail.subject, "[SEV-1] INC-42 resolved: Checkout <b>5xx</b> & friends");
  const std::string html = Part(mail.text, "text/html");
  EXPECT_EQ(html.find("Acknowledge"), std::string::npos);
  EXPECT_EQ(html.find("<p style=\"margin:0 0 16px\"></p>"), std::string::npos);
  EXPECT_EQ(Part(mail.text, "text/plain").find("Acknowledge"), std::string::npos);
}

TEST(NotifyMail, TemplateOverrides) {
  Templates t;
  t.overrides["email.subject"] = "PAGE {{incident_ref}}";
  t.overrides["email.text"] = "{{title}}";
  t.overrides["email.html"] = "<p>{{title}}</p>";
  Mail mail = MustBuild(Page(), "k@example.com", "a@example.com", t);
  EXPECT_EQ(mail.subject, "PAGE INC-42");
  EXPECT_EQ(Part(mail.text, "text/plain"), "Checkout <b>5xx</b> & friends");
  EXPECT_EQ(Part(mail.text, "text/html"), "<p>Checkout &lt;b&gt;5xx&lt;/b&gt; &amp; friends</p>");
  t.overrides["email.html"] = "{{#x}}";
  auto bad = BuildMail("k@example.com", "a@example.com", Page(), t, "id", kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("email.html"), std::string::npos);
}

}  // namespace
}  // namespace klaxon::notify
