#include "cli/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

namespace klaxon::cli {
namespace {

TEST(CliHttpClientTest, UrlEncodesAllButUnreservedCharacters) {
  EXPECT_EQ(UrlEncode("abc-XYZ_0.9~"), "abc-XYZ_0.9~");
  EXPECT_EQ(UrlEncode("a b&c=d/e?\u00e9"), "a%20b%26c%3Dd%2Fe%3F%C3%A9");
}

TEST(CliHttpClientTest, PathSegmentsNeverActAsRelativeSegments) {
  EXPECT_EQ(PathSegment("primary rotation"), "primary%20rotation");
  EXPECT_EQ(PathSegment("a/b"), "a%2Fb");
  EXPECT_EQ(PathSegment("."), "%2E");
  EXPECT_EQ(PathSegment(".."), "%2E%2E");
  EXPECT_EQ(PathSegment("..."), "...");
}

TEST(CliHttpClientTest, WithQuerySkipsEmptyValues) {
  EXPECT_EQ(WithQuery("/api/v1/incidents", {{"status", "open"}, {"q", ""}, {"q2", "db down"}}),
            "/api/v1/incidents?status=open&q2=db%20down");
  EXPECT_EQ(WithQuery("/x", {{"a", ""}}), "/x");
  EXPECT_EQ(WithQuery("/x?a=1", {{"b", "2"}}), "/x?a=1&b=2");
}

// Accepts one connection on 127.0.0.1, records the request, answers with `response`.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 1) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot listen";
      return;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneShotServer() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Valid after the client's Send() returned.
  const std::string& received() const { return request_; }

 private:
  void Serve() {
    const int client = ::accept(fd_, nullptr, nullptr);
    if (client < 0) return;
    char buffer[4096];
    size_t expected = std::string::npos;
    while (request_.size() < expected) {
      const ssize_t n = ::read(client, buffer, sizeof buffer);
      if (n <= 0) break;
      request_.append(buffer, static_cast<size_t>(n));
      const size_t end = request_.find("\r\n\r\n");
      if (end != std::string::npos && expected == std::string::npos) {
        const size_t at = request_.find("Content-Length: ");
        const size_t body = at == std::string::npos ? 0 : std::stoul(request_.substr(at + 16));
        expected = end + 4 + body;
      }
    }
    [[maybe_unused]] ssize_t written = ::write(client, response_.data(), response_.size());
    ::close(client);
  }

  std::string response_;
  std::string request_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(CliHttpClientTest, SendsJsonWithTheBearerTokenAndReturnsStatusAndBody) {
  OneShotServer server(
      "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 12\r\n"
      "Connection: close\r\n\r\n{\"id\":7}\r\n\r\n");
  HttpResponse response;
  {
    CurlHttpClient client(server.url(), "kx_secret");
    response = client.Send({"POST", "/api/v1/incidents?x=1", std::string(R"({"title":"t"})")});
  }
  ASSERT_TRUE(response.received()) << response.error;
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "{\"id\":7}\r\n\r\n");
  const std::string& request = server.received();
  EXPECT_TRUE(request.starts_with("POST /api/v1/incidents?x=1 HTTP/1.1\r\n")) << request;
  EXPECT_NE(request.find("\r\nAuthorization: Bearer kx_secret\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_TRUE(request.ends_with("\r\n\r\n{\"title\":\"t\"}")) << request;
}

TEST(CliHttpClientTest, SendsNoAuthorizationWithoutAToken) {
  OneShotServer server("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  CurlHttpClient client(server.url(), "");
  const HttpResponse response = client.Send({"DELETE", "/api/v1/tokens/3", std::nullopt});
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.body, "");
  EXPECT_TRUE(server.received().starts_with("DELETE /api/v1/tokens/3 HTTP/1.1\r\n"));
  EXPECT_EQ(server.received().find("Authorization"), std::string::npos);
}

TEST(CliHttpClientTest, DoesNotFollowRedirects) {
  OneShotServer server(
      "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/steal\r\nContent-Length: 0\r\n"
      "Connection: close\r\n\r\n");
  CurlHttpClient client(server.url(), "kx_secret");
  EXPECT_EQ(client.Send({"GET", "/", std::nullopt}).status, 302);
}

TEST(CliHttpClientTest, ReportsConnectionRefused) {
  // A port that was just free: bind, note it, close.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);
  CurlHttpClient client("http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)), "");
  const HttpResponse response = client.Send({"GET", "/healthz", std::nullopt});
  EXPECT_FALSE(response.received());
  EXPECT_EQ(response.error, "Connection refused");
}

TEST(CliHttpClientTest, RefusesOtherProtocols) {
  CurlHttpClient client("file:///etc", "");
  const HttpResponse response = client.Send({"GET", "/passwd", std::nullopt});
  EXPECT_FALSE(response.received());
  EXPECT_FALSE(response.error.empty());
}

}  // namespace
}  // namespace klaxon::cli
