#include "notify/keepalive.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "notify/test_http_server.h"
#include "notify/transport.h"

namespace klaxon::notify {
namespace {

class NotifyKeepAlive : public ::testing::Test {
 protected:
  void SetUp() override {
    if (ProxyInEnvironment())
      GTEST_SKIP() << "a proxy is set in the environment: posts go through libcurl";
  }
};

// Runs `f` on a thread of its own (connections are shared by all threads).
void OnNewThread(const std::function<void()>& f) { std::thread(f).join(); }

HttpRequest Post(const std::string& url, const std::string& body = "{\"n\":1}") {
  return {url, {{"Content-Type", "application/json"}, {"User-Agent", "Klaxon/1"}}, body};
}

std::string HeaderOf(const HttpResult& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

TEST_F(NotifyKeepAlive, ConsecutivePostsShareOneConnection) {
  KeepAliveServer server({Answer("one"), Answer("two"), Answer("three")});
  OnNewThread([&] {
    for (const char* want : {"one", "two", "three"}) {
      HttpResult r = PostHttp(Post(server.Url()), 2000);
      EXPECT_EQ(r.status, 200) << r.error;
      EXPECT_EQ(r.body, want);
    }
    EXPECT_EQ(KeptAliveConnections(server.Url()), 1u);
  });
  EXPECT_EQ(server.connections(), 1);
  auto got = server.received();
  ASSERT_EQ(got.size(), 3u);
  for (const auto& r : got) EXPECT_EQ(r.body, "{\"n\":1}");
}

TEST_F(NotifyKeepAlive, SendsTheSameRequestAsLibcurl) {
  KeepAliveServer server({Answer()});
  HttpRequest req = Post(server.Url("/hook/x?a=1&b=two"), "{}");
  req.headers.emplace_back("Connection", "upgrade");  // framing is the client's: dropped
  req.headers.emplace_back("Content-Length", "999");
  req.headers.emplace_back("X-Empty", "");
  req.headers.emplace_back("X-Line", "a\r\nInjected: yes");
  OnNewThread([&] { EXPECT_EQ(PostHttp(req, 2000).status, 200); });
  auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request_line, "POST /hook/x?a=1&b=two HTTP/1.1");
  EXPECT_EQ(got[0].Header("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(got[0].Header("content-type"), "application/json");
  EXPECT_EQ(got[0].Header("user-agent"), "Klaxon/1");
  EXPECT_EQ(got[0].Header("accept"), "*/*");
  EXPECT_EQ(got[0].Header("content-length"), "2");
  EXPECT_EQ(got[0].Header("connection"), "");
  EXPECT_EQ(got[0].Header("expect"), "");
  EXPECT_EQ(got[0].Header("x-empty"), "");
  EXPECT_EQ(got[0].Header("injected"), "");
  EXPECT_EQ(got[0].body, "{}");
}

TEST_F(NotifyKeepAlive, AConnectionTheServerClosedIsNotReused) {
  KeepAliveServer server(
      {{Step::kAnswerThenClose, KeepAliveResponse(200, "first")}, Answer("second")});
  OnNewThread([&] {
    EXPECT_EQ(PostHttp(Post(server.Url()), 2000).body, "first");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the close arrives
    HttpResult r = PostHttp(Post(server.Url()), 2000);
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "second");
  });
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.received().size(), 2u);  // each post once
}

TEST_F(NotifyKeepAlive, APostThatMeetsAClosingConnectionGoesOnceMoreOnANewOne) {
  // The server closes the reused connection as the post arrives, unread (its idle timeout
  // raced the post): the post goes again on a new connection and arrives once.
  KeepAliveServer server({Answer("first"), {Step::kDropUnread, ""}, Answer("second")});
  OnNewThread([&] {
    EXPECT_EQ(PostHttp(Post(server.Url()), 2000).body, "first");
    HttpResult r = PostHttp(Post(server.Url()), 2000);
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "second");
  });
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.received().size(), 2u);
}

TEST_F(NotifyKeepAlive, ANewConnectionClosedWithoutAnAnswerIsAnErrorNotARetry) {
  KeepAliveServer server({{Step::kDropAfterRead, ""}, Answer()});
  OnNewThread([&] {
    HttpResult r = PostHttp(Post(server.Url()), 2000);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.error, "Empty reply from server");
    EXPECT_EQ(KeptAliveConnections(server.Url()), 0u);
  });
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.received().size(), 1u);
}

TEST_F(NotifyKeepAlive, ReadsChunkedAnswersAndKeepsTheConnection) {
  KeepAliveServer server({{Step::kAnswer,
                           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
                           "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"},
                          Answer("again")});
  OnNewThread([&] {
    HttpResult r = PostHttp(Post(server.Url()), 2000);
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "hello world");
    EXPECT_EQ(HeaderOf(r, "x-a"), "1");
    EXPECT_EQ(PostHttp(Post(server.Url()), 2000).body, "again");
  });
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(NotifyKeepAlive, SkipsAnInterimAnswer) {
  KeepAliveServer server(
      {{Step::kAnswer, "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n" +
                           KeepAliveResponse(202, "queued", "Retry-After: 3\r\n")}});
  OnNewThread([&] {
    HttpResult r = PostHttp(Post(server.Url()), 2000);
    EXPECT_EQ(r.status, 202) << r.error;
    EXPECT_EQ(r.body, "queued");
    EXPECT_EQ(HeaderOf(r, "retry-after"), "3");
    EXPECT_EQ(HeaderOf(r, "x-interim"), "");
  });
}

TEST_F(NotifyKeepAlive, KeepsTheFirst4KiBAndDropsTheConnection) {
  KeepAliveServer server(
      {{Step::kAnswer, KeepAliveResponse(500, std::string(100000, 'x'))}, Answer("next")});
  OnNewThread([&] {
    HttpResult r = PostHttp(Post(server.Url()), 2000);
    EXPECT_EQ(r.status, 500) << r.error;
    EXPECT_EQ(r.body, std::string(4096, 'x'));
    EXPECT_EQ(KeptAliveConnections(server.Url()), 0u);
    EXPECT_EQ(PostHttp(Post(server.Url()), 2000).body, "next");
  });
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(NotifyKeepAlive, AnAnswerWithoutALengthEndsAtTheClose) {
  KeepAliveServer server({{Step::kAnswerThenClose, "HTTP/1.1 200 OK\r\n\r\nuntil the end"}});
  OnNewThread([&] {
    HttpResult r = PostHttp(Post(server.Url()), 2000);
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "until the end");
    EXPECT_EQ(KeptAliveConnections(server.Url()), 0u);
  });
}

TEST_F(NotifyKeepAlive, ConnectionCloseIsHonoured) {
  KeepAliveServer server(
      {{Step::kAnswer, KeepAliveResponse(200, "bye", "Connection: close\r\n")}, Answer()});
  OnNewThread([&] {
    EXPECT_EQ(PostHttp(Post(server.Url()), 2000).body, "bye");
    EXPECT_EQ(KeptAliveConnections(server.Url()), 0u);
    EXPECT_EQ(PostHttp(Post(server.Url()), 2000).status, 200);
  });
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(NotifyKeepAlive, AMalformedAnswerIsATransportError) {
  KeepAliveServer server({{Step::kAnswer, "SMTP ready\r\n\r\n"}});
  OnNewThread([&] {
    HttpResult r = PostHttp(Post(server.Url()), 2000);
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error.find("Weird server reply"), std::string::npos) << r.error;
    EXPECT_EQ(KeptAliveConnections(server.Url()), 0u);
  });
}

TEST_F(NotifyKeepAlive, KeepsAtMost100HeaderFields) {
  std::string many;
  for (int i = 0; i < 150; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  KeepAliveServer server({{Step::kAnswer, KeepAliveResponse(200, "ok", many)}});
  OnNewThread([&] {
    HttpResult r = PostHttp(Post(server.Url()), 2000);
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.headers.size(), 100u);
  });
}

TEST_F(NotifyKeepAlive, ATimedOutPostLeavesNoConnectionBehind) {
  FakeHttpServer server({{Response(200, "OK", "late"), 1500}});
  OnNewThread([&] {
    HttpResult r = PostHttp(Post(server.Url()), 200);
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
    EXPECT_EQ(KeptAliveConnections(server.Url()), 0u);
  });
}

TEST_F(NotifyKeepAlive, OnlyPlainHttpWithoutCredentials) {
  EXPECT_FALSE(PostKeptAlive({"https://127.0.0.1:1/x", {}, ""}, 100));
  EXPECT_FALSE(PostKeptAlive({"ftp://127.0.0.1/x", {}, ""}, 100));
  EXPECT_FALSE(PostKeptAlive({"http://", {}, ""}, 100));
  EXPECT_FALSE(PostKeptAlive({"http://user:secret@127.0.0.1:1/x", {}, ""}, 100));
  // Credentials go through libcurl, which sends them.
  KeepAliveServer server({Answer()});
  OnNewThread([&] {
    HttpResult r = PostHttp(
        Post("http://user:secret@127.0.0.1:" + std::to_string(server.port()) + "/x"), 2000);
    EXPECT_EQ(r.status, 200) << r.error;
  });
  auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("authorization"), "Basic dXNlcjpzZWNyZXQ=");
}

TEST_F(NotifyKeepAlive, AnInterimAnswerThenTheCloseIsAnError) {
  KeepAliveServer server({{Step::kAnswerThenClose, "HTTP/1.1 100 Continue\r\n\r\n"}});
  OnNewThread([&] {
    HttpResult r = PostHttp(Post(server.Url()), 2000);
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error, "");
    EXPECT_EQ(KeptAliveConnections(server.Url()), 0u);
  });
  EXPECT_EQ(server.received().size(), 1u);  // not sent again: the server answered something
}

TEST_F(NotifyKeepAlive, ReadsTheStatusOfAnswersTheStrictParserRefuses) {
  // What libcurl reads too: a status line without a reason phrase, bare LF line ends, a
  // lower-case version, a malformed header field after a good status line. The status is
  // the verdict (a delivered page must not be sent again); the connection is not reused.
  struct Case {
    std::string answer;
    int status;
  };
  for (const Case& c : std::vector<Case>{
           {"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 200},
           {"HTTP/1.1 201 Created\nContent-Length: 0\n\n", 201},
           {"http/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", 202},
           {"HTTP/1.1 200 OK\r\nName : v\r\nContent-Length: 2\r\n\r\nok", 200},
           {"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nContent-Length: 1\r\n\r\n", 204},
       }) {
    KeepAliveServer server({{Step::kAnswerThenClose, c.answer}});
    OnNewThread([&] {
      HttpResult r = PostHttp(Post(server.Url()), 2000);
      EXPECT_EQ(r.status, c.status) << c.answer << " / " << r.error;
      EXPECT_EQ(KeptAliveConnections(server.Url()), 0u) << c.answer;
    });
    EXPECT_EQ(server.received().size(), 1u) << c.answer;
  }
}

TEST_F(NotifyKeepAlive, AnEndlessHeaderOrChunkLineIsCutShort) {
  for (const std::string& answer :
       {"HTTP/1.1 200 OK\r\nX-Endless: " + std::string(2 << 20, 'x'),
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;" + std::string(2 << 20, 'x')}) {
    KeepAliveServer server({{Step::kAnswerThenClose, answer}});
    OnNewThread([&] {
      const auto start = std::chrono::steady_clock::now();
      HttpResult r = PostHttp(Post(server.Url()), 10000);
      EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
      EXPECT_EQ(r.status, 200) << r.error;  // the status line was read
      EXPECT_EQ(KeptAliveConnections(server.Url()), 0u);
    });
  }
}

TEST_F(NotifyKeepAlive, AConnectionThatSwitchedProtocolsIsNotReused) {
  KeepAliveServer server(
      {{Step::kAnswer,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"},
       Answer()});
  OnNewThread([&] {
    EXPECT_EQ(PostHttp(Post(server.Url()), 2000).status, 101);
    EXPECT_EQ(KeptAliveConnections(server.Url()), 0u);
    EXPECT_EQ(PostHttp(Post(server.Url()), 2000).status, 200);
  });
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(NotifyKeepAlive, TheServersKeepAliveTimeoutIsHonoured) {
  // "timeout=1": the server may close it any moment after a second; kept a second less.
  KeepAliveServer server(
      {{Step::kAnswer, KeepAliveResponse(200, "a", "Keep-Alive: timeout=1, max=100\r\n")},
       Answer("b")});
  OnNewThread([&] {
    EXPECT_EQ(PostHttp(Post(server.Url()), 2000).body, "a");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(PostHttp(Post(server.Url()), 2000).body, "b");
  });
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(NotifyKeepAlive, APathIsPercentEncodedLikeLibcurlDoes) {
  KeepAliveServer server({Answer()});
  OnNewThread([&] { EXPECT_EQ(PostHttp(Post(server.Url("/h\xc3\xbck?q=1")), 2000).status, 200); });
  auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  std::string line = got[0].request_line;
  for (char& ch : line) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(line, "post /h%c3%bck?q=1 http/1.1");
}

TEST_F(NotifyKeepAlive, ThreadsShareTheIdleConnections) {
  KeepAliveServer server({Answer()});
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) EXPECT_EQ(PostHttp(Post(server.Url()), 2000).status, 200);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(server.connections(), 3);  // at most one per post at a time
  EXPECT_EQ(server.received().size(), 12u);
  // One after another, on another thread: one of those connections, no new one.
  const int before = server.connections();
  OnNewThread([&] { EXPECT_EQ(PostHttp(Post(server.Url()), 2000).status, 200); });
  EXPECT_EQ(server.connections(), before);
}

// Waits (up to 5 s) until the server has `n` requests.
bool ReceivedAtLeast(KeepAliveServer& server, size_t n) {
  for (int i = 0; i < 500 && server.received().size() < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return server.received().size() >= n;
}

TEST_F(NotifyKeepAlive, APreparedPostLeavesFromOneThreadAndItsAnswerIsReadOnAnother) {
  KeepAliveServer server({Answer("one"), Answer("two")});
  EXPECT_EQ(PostHttp(Post(server.Url()), 2000).body, "one");  // leaves a connection open
  auto post = PreparedPost::Make(Post(server.Url(), "{\"n\":2}"), 2000);
  ASSERT_NE(post, nullptr);
  OnNewThread([&] { EXPECT_TRUE(post->SendNow()); });
  // On the wire before anyone reads the answer.
  ASSERT_TRUE(ReceivedAtLeast(server, 2));
  EXPECT_EQ(server.received()[1].body, "{\"n\":2}");
  HttpResult r;
  OnNewThread([&] { r = post->Finish(); });
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "two");
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.received().size(), 2u);  // sent once
  EXPECT_EQ(KeptAliveConnections(server.Url()), 1u);
}

TEST_F(NotifyKeepAlive, APreparedPostWithoutAnOpenConnectionIsSentByFinish) {
  KeepAliveServer server({Answer("one")});
  auto post = PreparedPost::Make(Post(server.Url()), 2000);
  ASSERT_NE(post, nullptr);
  EXPECT_FALSE(post->SendNow());  // never connects: it must not block the committing thread
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(server.received().empty());
  HttpResult r = post->Finish();
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "one");
  EXPECT_EQ(server.received().size(), 1u);
}

TEST_F(NotifyKeepAlive, APreparedPostOnAConnectionClosedMeanwhileGoesOnceMoreOnANewOne) {
  // The server closes the kept connection as the prepared post arrives, unread.
  KeepAliveServer server({Answer("one"), {Step::kDropUnread, ""}, Answer("again")});
  EXPECT_EQ(PostHttp(Post(server.Url()), 2000).body, "one");
  auto post = PreparedPost::Make(Post(server.Url()), 2000);
  ASSERT_NE(post, nullptr);
  EXPECT_TRUE(post->SendNow());
  HttpResult r = post->Finish();
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "again");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.received().size(), 2u);  // "one" and "again": the dropped one was unread
}

TEST_F(NotifyKeepAlive, APreparedPostForAnHttpsUrlIsLeftToLibcurl) {
  EXPECT_EQ(PreparedPost::Make(Post("https://127.0.0.1:1/hook"), 2000), nullptr);
  EXPECT_EQ(PreparedPost::Make(Post("http://user:pw@127.0.0.1:1/hook"), 2000), nullptr);
}

}  // namespace
}  // namespace klaxon::notify
