// The CLI's only door to the network: one request in, status and body out.
//
// HttpClient is the interface the commands use, so unit tests substitute a fake at this
// edge. CurlHttpClient is the real one: a libcurl easy handle bound to one server URL and
// one API token (sent as `Authorization: Bearer`, never logged), JSON bodies, a 30 s
// timeout, no redirects (a redirect must not carry the token elsewhere), http/https only,
// and a cap on the response size. Not thread-safe: one client per thread; the base URL
// and token are copied in.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace klaxon::cli {

struct HttpRequest {
  std::string method;               // "GET", "POST", "DELETE".
  std::string path;                 // "/api/v1/incidents?limit=5", appended to the base URL.
  std::optional<std::string> body;  // Sent as application/json when present.
};

struct HttpResponse {
  int status = 0;     // 0 when no response arrived; `error` then says why.
  std::string body;   // The response body, possibly empty (204).
  std::string error;  // "Connection refused", "timed out after 30 s", ...

  bool received() const { return status != 0; }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResponse Send(const HttpRequest& request) = 0;
};

class CurlHttpClient final : public HttpClient {
 public:
  static constexpr std::chrono::seconds kDefaultTimeout{30};
  static constexpr size_t kMaxResponseBytes = 64 << 20;

  // `base_url` is "http://host:port" without a trailing slash; `token` may be empty.
  CurlHttpClient(std::string base_url, std::string token,
                 std::chrono::seconds timeout = kDefaultTimeout);
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  HttpResponse Send(const HttpRequest& request) override;

 private:
  std::string base_url_;
  std::string token_;
  std::chrono::seconds timeout_;
  void* handle_;  // CURL*; kept opaque so this header does not include curl.h.
};

// Percent-encodes everything except RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view text);

// `text` as one URL path segment: UrlEncode, and "." and ".." fully encoded so that they
// name themselves instead of being resolved as relative segments on the way.
std::string PathSegment(std::string_view text);

// `path` with "?k=v&..." appended for the parameters whose value is not empty.
std::string WithQuery(std::string path,
                      const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace klaxon::cli
