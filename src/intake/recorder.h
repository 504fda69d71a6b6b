// The last requests each integration received, kept in memory for debugging a sender:
// what arrived (the start of the body), when, from where, and what Klaxon answered. Also
// per-integration counters. Nothing here survives a restart; the event log holds what
// the requests changed.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace klaxon::intake {

struct IntakeRequest {
  TimeMs at = 0;
  std::string method;
  std::string route;  // the matched route, "/intake/alertmanager/{key}": never the key itself
  std::string content_type;
  std::string remote;
  std::string request_id;
  std::string body;       // as received (its start is enough); cut to the limit on Record
  size_t body_bytes = 0;  // the whole body's size (0: body.size())
  int status = 0;
  std::string response;  // the answer's body, cut to the limit
  double duration_ms = 0;
};

class Recorder {
 public:
  explicit Recorder(size_t keep = 20, size_t max_body = 8192) : keep_(keep), max_body_(max_body) {}

  size_t max_body() const { return max_body_; }

  void Record(int64_t integration_id, IntakeRequest r);
  // {"items":[request…] newest first, "stats":{…}}.
  nlohmann::json Recent(int64_t integration_id) const;
  // {"requests","errors","last_request_at","last_status","last_error_at","last_error"}.
  nlohmann::json Stats(int64_t integration_id) const;
  void Forget(int64_t integration_id);

  // Valid UTF-8 of at most `max` bytes (cut on a character boundary; invalid bytes become
  // U+FFFD), so any body can be shown as JSON text.
  static std::string Printable(std::string_view s, size_t max);

 private:
  struct Entry {
    std::deque<IntakeRequest> recent;
    int64_t requests = 0;
    int64_t errors = 0;
    TimeMs last_request_at = 0;
    int last_status = 0;
    TimeMs last_error_at = 0;
    std::string last_error;
  };
  static nlohmann::json StatsOf(const Entry* e);

  const size_t keep_;
  const size_t max_body_;
  mutable std::mutex mu_;
  std::unordered_map<int64_t, Entry> entries_;
};

}  // namespace klaxon::intake
