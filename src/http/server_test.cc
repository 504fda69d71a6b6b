// The server's answers as a client reads them off the socket: written at once by the
// answering thread (Session::SendNow) or through Beast (streamed, shared, HEAD, odd
// headers), each complete and framed the same way.
#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

namespace klaxon::http {
namespace {

struct Answer {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  bool closed = false;  // the server closed the connection after it
};

// A blocking client on one keep-alive connection.
class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() { ::close(fd_); }

  Answer Ask(const std::string& method, const std::string& path, const std::string& extra = "",
             const std::string& version = "HTTP/1.1") {
    std::string req = method + " " + path + " " + version + "\r\nHost: x\r\n" + extra + "\r\n";
    EXPECT_EQ(::send(fd_, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    Answer a;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!Fill()) return a;
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    a.status = std::stoi(head.substr(9, 3));
    for (size_t p = head.find("\r\n"); p != std::string::npos;) {
      size_t next = head.find("\r\n", p + 2);
      std::string line = head.substr(p + 2, next == std::string::npos ? next : next - p - 2);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      EXPECT_EQ(a.headers.count(name), 0u) << "header twice: " << name;
      a.headers[name] = line.substr(colon + 2);
      p = next;
    }
    size_t length = a.headers.count("content-length") ? std::stoul(a.headers["content-length"]) : 0;
    if (method == "HEAD") length = 0;
    while (buf_.size() < length)
      if (!Fill()) return a;
    a.body = buf_.substr(0, length);
    buf_.erase(0, length);
    auto conn = a.headers.find("connection");
    if (conn != a.headers.end() && conn->second == "close") a.closed = !Fill() && buf_.empty();
    return a;
  }

 private:
  bool Fill() {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buf_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.port = 0;
    o.threads = 2;
    server_ = std::make_unique<Server>(
        o, [this](Request& req, Reply reply) { Handle(req, std::move(reply)); },
        [this](const Request&, int status, double) {
          std::lock_guard lock(mu_);
          observed_.push_back(status);
        });
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->Stop();
    for (auto& t : threads_) t.join();
  }

  void Handle(Request& req, Reply reply) {
    if (req.path == "/big") return reply(Response::Text(200, std::string(8 << 20, 'b')));
    if (req.path == "/none") return reply(Response::NoContent());
    if (req.path == "/none-with-body") return reply(Response{204, {}, "not sent", {}, {}});
    if (req.path == "/odd") {
      Response r = Response::Text(200, "odd");
      r.Header("Server", "handler's own");  // the server's own name wins, once
      return reply(std::move(r));
    }
    if (req.path == "/later") {  // answered from another thread, as the store's syncer does
      std::lock_guard lock(mu_);
      threads_.emplace_back([reply] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        Response r = Response::Json(202, {{"status", "ok"}});
        r.Header("Cache-Control", "no-store");
        reply(std::move(r));
      });
      return;
    }
    reply(Response::Text(200, "hello " + req.method));
  }

  std::unique_ptr<Server> server_;
  std::vector<std::thread> threads_;  // joined after Stop: a reply outlives its request
  std::mutex mu_;
  std::vector<int> observed_;
};

TEST_F(ServerTest, AnswersOnOneConnectionOneAfterAnother) {
  Client c(server_->port());
  for (int i = 0; i < 3; ++i) {
    Answer a = c.Ask("GET", "/hello");
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body, "hello GET");
    EXPECT_EQ(a.headers["content-length"], "9");
    EXPECT_EQ(a.headers["server"], "klaxon");
    EXPECT_TRUE(a.headers["x-request-id"].starts_with("r-")) << a.headers["x-request-id"];
    EXPECT_EQ(a.headers.count("connection"), 0u);
  }
  Answer later = c.Ask("POST", "/later", "Content-Length: 0\r\n");
  EXPECT_EQ(later.status, 202);
  EXPECT_EQ(nlohmann::json::parse(later.body)["status"], "ok");
  EXPECT_EQ(later.headers["cache-control"], "no-store");
  EXPECT_EQ(c.Ask("GET", "/hello").body, "hello GET") << "the connection reads on after it";
}

TEST_F(ServerTest, ALargeBodyTheSocketCannotTakeAtOnceArrivesWhole) {
  Client c(server_->port());
  Answer a = c.Ask("GET", "/big");
  EXPECT_EQ(a.status, 200);
  ASSERT_EQ(a.body.size(), static_cast<size_t>(8 << 20));
  EXPECT_EQ(a.body.find_first_not_of('b'), std::string::npos);
  EXPECT_EQ(c.Ask("GET", "/hello").body, "hello GET");
}

TEST_F(ServerTest, NoContentHasNoLengthAndNoBody) {
  Client c(server_->port());
  Answer a = c.Ask("DELETE", "/none");
  EXPECT_EQ(a.status, 204);
  EXPECT_EQ(a.headers.count("content-length"), 0u);
  EXPECT_EQ(c.Ask("GET", "/hello").status, 200) << "nothing was left on the wire";
  // A handler's body on a 204 is dropped, on either path (HEAD goes through Beast).
  EXPECT_EQ(c.Ask("DELETE", "/none-with-body").status, 204);
  EXPECT_EQ(c.Ask("HEAD", "/none-with-body").status, 204);
  EXPECT_EQ(c.Ask("GET", "/hello").body, "hello GET");
}

TEST_F(ServerTest, ConnectionCloseAndHttp10CloseAfterTheAnswer) {
  {
    Client c(server_->port());
    Answer a = c.Ask("GET", "/hello", "Connection: close\r\n");
    EXPECT_EQ(a.body, "hello GET");
    EXPECT_EQ(a.headers["connection"], "close");
    EXPECT_TRUE(a.closed);
  }
  {
    Client c(server_->port());
    Answer a = c.Ask("GET", "/later", "", "HTTP/1.0");
    EXPECT_EQ(a.status, 202);
    EXPECT_EQ(a.headers["connection"], "close");
    EXPECT_TRUE(a.closed);
  }
}

TEST_F(ServerTest, HeadAndAHandlersOwnFramingHeadersGoThroughBeast) {
  {
    Client c(server_->port());  // (Beast writes the handler's body after a HEAD's headers)
    EXPECT_EQ(c.Ask("HEAD", "/hello").status, 200);
  }
  Client c(server_->port());
  Answer odd = c.Ask("GET", "/odd");
  EXPECT_EQ(odd.body, "odd");
  EXPECT_EQ(odd.headers["server"], "klaxon");
  EXPECT_EQ(c.Ask("GET", "/hello").body, "hello GET");
}

TEST_F(ServerTest, EveryAnswerIsObservedOnce) {
  {
    Client c(server_->port());
    c.Ask("GET", "/hello");
    c.Ask("POST", "/later", "Content-Length: 0\r\n");
    c.Ask("DELETE", "/none");
  }
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(mu_);
      if (observed_.size() >= 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard lock(mu_);
  EXPECT_EQ(observed_, (std::vector<int>{200, 202, 204}));
}

}  // namespace
}  // namespace klaxon::http
