// For unit tests: tiny HTTP servers on 127.0.0.1 that record each request. FakeHttpServer
// gives a canned answer, one request per connection (it answers "Connection: close");
// KeepAliveServer keeps connections open and follows a script of steps.
//
//   notify::FakeHttpServer rx({{notify::Response(200, "OK", "")}});
//   ... post to rx.Url("/hook") ...
//   EXPECT_EQ(rx.received().size(), 1u);
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace klaxon::notify {

// A listening TCP socket on 127.0.0.1 and a free port; its port in `port`.
inline int ListenOnLoopback(int& port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  listen(fd, 16);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

struct Canned {
  std::string response;  // raw bytes, status line first
  int delay_ms = 0;      // wait this long before answering
};

struct Received {
  std::string request_line;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  }
};

inline std::string Response(int status, const std::string& reason, const std::string& body,
                            const std::string& extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

class FakeHttpServer {
 public:
  explicit FakeHttpServer(std::vector<Canned> answers) : answers_(std::move(answers)) {
    fd_ = ListenOnLoopback(port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeHttpServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  std::string Url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  void Serve() {
    size_t next = 0;
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      Received r = ReadRequest(c);
      {
        std::lock_guard<std::mutex> lock(mu_);
        received_.push_back(r);
      }
      const Canned& a = answers_[std::min(next++, answers_.size() - 1)];
      for (int waited = 0; waited < a.delay_ms && !stop_; waited += 10) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (!stop_) SendAll(c, a.response);
      close(c);
    }
  }

 public:
  // For other test servers too: write all of `data`; read one request (header and a
  // Content-Length body; an empty request line when the peer closed first).
  static void SendAll(int c, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = send(c, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  static Received ReadRequest(int c) {
    std::string data;
    char buf[4096];
    size_t header_end = std::string::npos;
    size_t want = 0;
    while (true) {
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          auto cl = ToLower(data.substr(0, header_end)).find("content-length:");
          want = header_end + 4 + (cl == std::string::npos ? 0 : std::stoul(data.substr(cl + 15)));
        }
      }
      if (header_end != std::string::npos && data.size() >= want) break;
      pollfd p{c, POLLIN, 0};
      if (poll(&p, 1, 2000) <= 0) break;
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
    }
    Received r;
    if (header_end == std::string::npos) return r;
    size_t pos = data.find("\r\n");
    r.request_line = data.substr(0, pos);
    while (pos < header_end) {
      size_t end = data.find("\r\n", pos + 2);
      std::string line = data.substr(pos + 2, end - pos - 2);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        r.headers.emplace_back(ToLower(line.substr(0, colon)), value);
      }
      pos = end;
    }
    r.body = data.substr(header_end + 4);
    return r;
  }

  static std::string ToLower(std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  }

 private:
  std::vector<Canned> answers_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<Received> received_;
};

// A test server that keeps connections open (HTTP/1.1 keep-alive).

// What the server does with the request that arrives n-th (over all connections).
struct Step {
  enum Kind {
    kAnswer,           // read it, answer, keep the connection open
    kAnswerThenClose,  // read it, answer, close (no "Connection: close" said)
    kDropUnread,       // close the connection as soon as the request arrives, unread
    kDropAfterRead,    // read it, close without answering
  };
  Kind kind = kAnswer;
  std::string response;
};

inline std::string KeepAliveResponse(int status, const std::string& body,
                                     const std::string& extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

inline Step Answer(const std::string& body = "ok") {
  return {Step::kAnswer, KeepAliveResponse(200, body)};
}

// A test server that keeps connections open and serves requests one after another on
// each, following a script of steps.
class KeepAliveServer {
 public:
  explicit KeepAliveServer(std::vector<Step> steps) : steps_(std::move(steps)) {
    fd_ = ListenOnLoopback(port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~KeepAliveServer() {
    stop_ = true;
    thread_.join();
    for (int c : conns_) close(c);
    close(fd_);
  }

  std::string Url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  int connections() const { return accepted_; }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  void Serve() {
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (int c : conns_) fds.push_back({c, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = accept(fd_, nullptr, nullptr);
        if (c >= 0) {
          conns_.push_back(c);
          ++accepted_;
        }
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        const int c = fds[i].fd;
        char peek;
        if (recv(c, &peek, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {  // the client closed it
          Close(c);
          continue;
        }
        const Step& step = steps_[std::min(next_++, steps_.size() - 1)];
        if (step.kind == Step::kDropUnread) {
          Close(c);
          continue;
        }
        Received r = FakeHttpServer::ReadRequest(c);
        {
          std::lock_guard<std::mutex> lock(mu_);
          received_.push_back(r);
        }
        if (step.kind != Step::kDropAfterRead) FakeHttpServer::SendAll(c, step.response);
        if (step.kind != Step::kAnswer) Close(c);
      }
    }
  }

  void Close(int c) {
    close(c);
    std::erase(conns_, c);
  }

  std::vector<Step> steps_;
  size_t next_ = 0;
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> conns_;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<Received> received_;
};

}  // namespace klaxon::notify
