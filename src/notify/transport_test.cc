#include "notify/transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "notify/test_http_server.h"

extern char** environ;

namespace klaxon::notify {
namespace {

using Json = nlohmann::json;

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

Message Page() {
  Message m;
  m.incident_ref = "INC-42";
  m.title = "Checkout 5xx above 5% — Störung";
  m.severity = "SEV-1";
  m.status = "triggered";
  m.console_url = "https://klaxon.example/incidents/42";
  m.ack_url = "https://klaxon.example/a/ACK";
  m.resolve_url = "https://klaxon.example/a/RES";
  m.at = 1700000000000;
  return m;
}

std::string HeaderOf(const HttpResult& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

TEST(NotifyHttp, PostsTheRequestAndCapturesTheAnswer) {
  FakeHttpServer server(
      {{Response(200, "OK", "ok", "Content-Type: text/plain\r\nX-Seen: yes\r\n")}});
  auto req = BuildChatRequest(ChannelKind::kSlack, server.Url(), Page(), {}, "m1", "", 0);
  ASSERT_TRUE(req.ok());
  HttpResult r = PostHttp(*req, 5000);
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(HeaderOf(r, "X-Seen"), "yes");
  EXPECT_EQ(HeaderOf(r, "content-type"), "text/plain");
  EXPECT_EQ(Judge(ChannelKind::kSlack, r.status, r.body, r.headers).outcome, Outcome::kDelivered);
  auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request_line, "POST /hook HTTP/1.1");
  EXPECT_EQ(got[0].Header("content-type"), "application/json");
  EXPECT_EQ(got[0].Header("user-agent"), "Klaxon/1");
  EXPECT_EQ(got[0].Header("expect"), "");
  EXPECT_EQ(got[0].body, req->body);
  EXPECT_EQ(Json::parse(got[0].body)["blocks"][0]["type"], "header");
}

TEST(NotifyHttp, SignedWebhookVerifiesAtTheReceiver) {
  FakeHttpServer server({{Response(204, "No Content", "")}});
  const std::string secret = NewWebhookSecret();
  auto req = BuildChatRequest(ChannelKind::kWebhook, server.Url(), Page(), {}, "msg_7", secret,
                              1700000000123);
  ASSERT_TRUE(req.ok());
  HttpResult r = PostHttp(*req, 5000);
  EXPECT_EQ(r.status, 204) << r.error;
  auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("webhook-id"), "msg_7");
  EXPECT_EQ(got[0].Header("webhook-timestamp"), "1700000000");
  EXPECT_EQ(got[0].Header("x-klaxon-event"), "incident.page");
  EXPECT_EQ(got[0].Header("webhook-signature"),
            SignWebhook(secret, "msg_7", 1700000000, got[0].body).value());
}

TEST(NotifyHttp, RetryAfterReachesTheVerdict) {
  FakeHttpServer server(
      {{Response(429, "Too Many Requests", "rate_limited", "Retry-After: 7\r\n")}});
  HttpResult r = PostHttp({server.Url(), {}, "{}"}, 5000);
  EXPECT_EQ(r.status, 429);
  Verdict v = Judge(ChannelKind::kSlack, r.status, r.body, r.headers);
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  EXPECT_EQ(v.retry_after_ms, 7000);
}

TEST(NotifyHttp, KeepsOnlyTheFirst4KiB) {
  FakeHttpServer server({{Response(500, "Internal Server Error", std::string(100000, 'x'))}});
  HttpResult r = PostHttp({server.Url(), {}, "{}"}, 5000);
  EXPECT_EQ(r.status, 500) << r.error;
  EXPECT_EQ(r.body.size(), 4096u);
}

TEST(NotifyHttp, DoesNotFollowRedirects) {
  FakeHttpServer server(
      {{Response(302, "Found", "", "Location: /elsewhere\r\n")}, {Response(200, "OK", "ok")}});
  HttpResult r = PostHttp({server.Url(), {}, "{}"}, 5000);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(HeaderOf(r, "Location"), "/elsewhere");
  EXPECT_EQ(server.received().size(), 1u);
  EXPECT_EQ(Judge(ChannelKind::kWebhook, r.status, r.body, r.headers).outcome, Outcome::kGiveUp);
}

TEST(NotifyHttp, TimeoutIsStatusZero) {
  FakeHttpServer server({{Response(200, "OK", "ok"), 3000}});
  const auto start = std::chrono::steady_clock::now();
  HttpResult r = PostHttp({server.Url(), {}, "{}"}, 300);
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count();
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error, "");
  EXPECT_GE(elapsed_ms, 250);
  EXPECT_LT(elapsed_ms, 2000);
  EXPECT_EQ(Judge(ChannelKind::kWebhook, r.status, r.error, r.headers).outcome, Outcome::kRetry);
}

TEST(NotifyHttp, ConnectionRefusedIsStatusZero) {
  HttpResult r =
      PostHttp({"http://127.0.0.1:" + std::to_string(ClosedPort()) + "/x", {}, "{}"}, 2000);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error, "");
}

TEST(NotifyHttp, OnlyHttpSchemes) {
  HttpResult r = PostHttp({"file:///etc/passwd", {}, ""}, 1000);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error, "");
  EXPECT_EQ(r.body, "");
}

// ---- SMTP against aiosmtpd -------------------------------------------------------------

// Runs src/notify/testdata/smtp_sink.py; skips the test when python3 or aiosmtpd is
// missing.
class SmtpSink {
 public:
  SmtpSink() {
    char tmpl[] = "/tmp/klaxon_smtp_sink_XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) close(fd);
    out_ = tmpl;
    const std::string script = std::string(KLAXON_SOURCE_DIR) + "/src/notify/testdata/smtp_sink.py";
    for (const char* python : {"/usr/bin/python3", "python3"}) {
      if (Start(python, script)) return;
    }
  }
  ~SmtpSink() {
    Stop();
    std::remove(out_.c_str());
  }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  bool ready() const { return port_ > 0; }
  std::string Url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::vector<Json> Messages() const {
    std::vector<Json> out;
    std::ifstream f(out_);
    for (std::string line; std::getline(f, line);) out.push_back(Json::parse(line));
    return out;
  }

 private:
  bool Start(const char* python, const std::string& script) {
    int pipefd[2];
    if (pipe(pipefd) != 0) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    posix_spawn_file_actions_addclose(&fa, pipefd[1]);
    std::vector<std::string> args = {python, script, out_};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, python, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
      close(pipefd[0]);
      return false;
    }
    pid_ = pid;
    std::string line;
    char c;
    pollfd p{pipefd[0], POLLIN, 0};
    while (line.size() < 200 && poll(&p, 1, 10000) > 0 && read(pipefd[0], &c, 1) == 1 &&
           c != '\n') {
      line += c;
    }
    close(pipefd[0]);
    if (line.rfind("ready ", 0) == 0) {
      port_ = std::atoi(line.c_str() + 6);
      return port_ > 0;
    }
    Stop();
    return false;
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string out_;
  pid_t pid_ = -1;
  int port_ = 0;
};

class NotifySmtp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!sink_.ready()) GTEST_SKIP() << "python3 with aiosmtpd is not available";
  }
  SmtpConfig Config() const {
    SmtpConfig cfg;
    cfg.url = sink_.Url();
    cfg.from = "klaxon@example.com";
    return cfg;
  }
  Mail MailTo(const std::string& to) const {
    auto mail =
        BuildMail("Klaxon <klaxon@example.com>", to, Page(), {}, "msg_smtp_1", 1700000000000);
    EXPECT_TRUE(mail.ok()) << mail.status().ToString();
    return mail.ok() ? *mail : Mail{};
  }
  SmtpSink sink_;
};

TEST_F(NotifySmtp, DeliversAMimeMessage) {
  SmtpResult r = SendMail(Config(), MailTo("alice@example.com"), 10000);
  ASSERT_TRUE(r.ok) << r.error;
  auto msgs = sink_.Messages();
  ASSERT_EQ(msgs.size(), 1u);
  const Json& m = msgs[0];
  EXPECT_EQ(m["mail_from"], "klaxon@example.com");
  EXPECT_EQ(m["rcpt_tos"], Json::array({"alice@example.com"}));
  EXPECT_EQ(m["subject"], "[SEV-1] INC-42 triggered: Checkout 5xx above 5% — Störung");
  EXPECT_EQ(m["message_id"], "<msg_smtp_1@klaxon>");
  EXPECT_EQ(m["crlf_only"], true);
  const std::string text = m["text"];
  EXPECT_NE(text.find("Acknowledge: https://klaxon.example/a/ACK"), std::string::npos) << text;
  EXPECT_NE(text.find("Checkout 5xx above 5% — Störung"), std::string::npos);
  const std::string html = m["html"];
  EXPECT_NE(html.find("href=\"https://klaxon.example/a/RES\""), std::string::npos) << html;
}

TEST_F(NotifySmtp, StarttlsTryProceedsWithoutTls) {
  SmtpConfig cfg = Config();
  cfg.starttls = "try";
  cfg.verify_tls = false;
  EXPECT_TRUE(SendMail(cfg, MailTo("bob@example.com"), 10000).ok);
  cfg.starttls = "off";
  EXPECT_TRUE(SendMail(cfg, MailTo("bob@example.com"), 10000).ok);
  EXPECT_EQ(sink_.Messages().size(), 2u);
}

TEST_F(NotifySmtp, RefusedRecipientIsPermanent) {
  SmtpResult r = SendMail(Config(), MailTo("reject@example.com"), 10000);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.permanent) << r.error;
  EXPECT_NE(r.error.find("550"), std::string::npos) << r.error;
  EXPECT_TRUE(sink_.Messages().empty());
}

TEST_F(NotifySmtp, RequiredStarttlsFailsAndMayBeRetried) {
  SmtpConfig cfg = Config();
  cfg.starttls = "required";
  SmtpResult r = SendMail(cfg, MailTo("alice@example.com"), 10000);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.permanent) << r.error;
  EXPECT_NE(r.error, "");
  EXPECT_TRUE(sink_.Messages().empty());
}

TEST(NotifySmtpConfig, UnreachableServerMayBeRetried) {
  SmtpConfig cfg;
  cfg.url = "smtp://127.0.0.1:" + std::to_string(ClosedPort());
  auto mail = BuildMail("k@example.com", "a@example.com", Page(), {}, "m", 0);
  ASSERT_TRUE(mail.ok());
  SmtpResult r = SendMail(cfg, *mail, 3000);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.permanent);
  EXPECT_NE(r.error, "");
}

TEST(NotifySmtpConfig, BadConfigurationIsPermanent) {
  auto mail = BuildMail("k@example.com", "a@example.com", Page(), {}, "m", 0);
  ASSERT_TRUE(mail.ok());
  SmtpConfig disabled;
  disabled.url = "";
  SmtpResult r = SendMail(disabled, *mail, 1000);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.permanent);
  SmtpConfig bad_tls;
  bad_tls.url = "smtp://127.0.0.1:25";
  bad_tls.starttls = "maybe";
  EXPECT_TRUE(SendMail(bad_tls, *mail, 1000).permanent);
  SmtpConfig http;
  http.url = "http://127.0.0.1:25";
  EXPECT_TRUE(SendMail(http, *mail, 1000).permanent);
  Mail no_rcpt = *mail;
  no_rcpt.to.clear();
  SmtpConfig ok_cfg;
  ok_cfg.url = "smtp://127.0.0.1:25";
  EXPECT_TRUE(SendMail(ok_cfg, no_rcpt, 1000).permanent);
}

}  // namespace
}  // namespace klaxon::notify
