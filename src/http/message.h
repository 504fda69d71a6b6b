// Plain HTTP request and response values, apart from the I/O loop (Beast stays in
// server.cc). Handlers are functions of a Request that call Reply exactly once, from any
// thread, possibly later (after a store commit).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace klaxon::http {

struct Request {
  std::string method;                        // "GET"
  std::string target;                        // "/api/v1/incidents?status=open"
  std::string path;                          // "/api/v1/incidents" (percent-decoded)
  std::map<std::string, std::string> query;  // decoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string remote;
  std::string request_id;
  std::map<std::string, std::string> params;  // path parameters, filled by the router
  std::string route;                          // the matched route pattern, for metrics

  std::string_view Header(std::string_view lower_name) const;
  std::optional<std::string> Cookie(std::string_view name) const;
};

// Where a streaming response (server-sent events) writes. Thread-safe.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Queues `data` for the client; false once the connection is closed.
  virtual bool Write(std::string data) = 0;
  virtual bool closed() const = 0;
  // Runs once when the connection closes (client gone, server stopping).
  virtual void OnClose(std::function<void()> fn) = 0;
  virtual void Close() = 0;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, sent instead of `body` without copying it (a cached page shared by many
  // responses at once).
  std::shared_ptr<const std::string> shared_body;
  // When set, the server sends the status and headers, then hands the connection to
  // `stream` (the body is then whatever it writes; the connection closes after).
  std::function<void(std::shared_ptr<StreamSink>)> stream;

  Response& Header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  static Response Json(int status, const nlohmann::json& body);
  static Response Text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  static Response NoContent() { return Response{204, {}, {}, {}, {}}; }
  // application/problem+json for a non-ok Status.
  static Response Problem(const Status& status, std::string_view request_id);
};

using Reply = std::function<void(Response)>;
using Handler = std::function<void(Request&, Reply)>;

std::string PercentDecode(std::string_view s, bool plus_is_space);
// Splits "a=1&b=2" into decoded pairs.
std::map<std::string, std::string> ParseQuery(std::string_view q);

}  // namespace klaxon::http
