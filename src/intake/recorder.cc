#include "intake/recorder.h"

#include <algorithm>

#include "core/time_format.h"

namespace klaxon::intake {

using nlohmann::json;

namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not valid.
size_t SequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  if (n == 2 && c < 0xC2) return 0;                       // overlong
  if (n == 3 && c == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
  if (n == 3 && c == 0xED && b(i + 1) >= 0xA0) return 0;  // surrogates
  if (n == 4 && (c > 0xF4 || (c == 0xF0 && b(i + 1) < 0x90) || (c == 0xF4 && b(i + 1) >= 0x90)))
    return 0;
  return n;
}

std::string ErrorOf(const IntakeRequest& r) {
  // The answer's "detail" (problem+json) or PagerDuty's "errors", else its start.
  json j = json::parse(r.response, nullptr, false);
  if (j.is_object()) {
    std::string out = j.value("detail", j.value("message", std::string()));
    if (j.contains("errors") && j["errors"].is_array()) {
      for (const auto& e : j["errors"]) {
        std::string item = e.is_string() ? e.get<std::string>()
                           : e.is_object() && e.contains("field")
                               ? e.value("field", "") + ": " + e.value("message", "")
                               : e.dump();
        if (out.find(item) != std::string::npos) continue;  // the detail says it already
        out += (out.empty() ? "" : "; ") + item;
      }
    }
    if (!out.empty()) return Recorder::Printable(out, 500);
  }
  return Recorder::Printable(r.response, 200);
}

}  // namespace

std::string Recorder::Printable(std::string_view s, size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  size_t i = 0;
  while (i < s.size()) {
    // A run of ASCII (most bodies are all ASCII) goes in one piece.
    size_t run = i;
    while (run < s.size() && run - i < max - out.size() &&
           static_cast<unsigned char>(s[run]) < 0x80)
      ++run;
    if (run > i) {
      out.append(s.substr(i, run - i));
      i = run;
      if (out.size() == max) break;
      continue;
    }
    size_t n = SequenceLength(s, i);
    std::string_view piece = n ? s.substr(i, n) : std::string_view("\xEF\xBF\xBD");
    if (out.size() + piece.size() > max) break;
    out.append(piece);
    i += n ? n : 1;
  }
  return out;
}

void Recorder::Record(int64_t integration_id, IntakeRequest r) {
  bool failed = r.status >= 400;
  std::string error = failed ? ErrorOf(r) : std::string();
  size_t body_bytes = std::max(r.body_bytes, r.body.size());
  r.body = Printable(r.body, max_body_);
  if (r.body.size() < body_bytes) r.body += "\n… (" + std::to_string(body_bytes) + " bytes in all)";
  r.body_bytes = body_bytes;
  r.response = Printable(r.response, 2048);
  r.content_type = Printable(r.content_type, 200);
  std::lock_guard lock(mu_);
  Entry& e = entries_[integration_id];
  e.requests++;
  e.last_request_at = r.at;
  e.last_status = r.status;
  if (failed) {
    e.errors++;
    e.last_error_at = r.at;
    e.last_error = error;
  }
  e.recent.push_front(std::move(r));
  while (e.recent.size() > keep_) e.recent.pop_back();
}

json Recorder::StatsOf(const Entry* e) {
  if (!e)
    return {{"requests", 0},
            {"errors", 0},
            {"last_request_at", nullptr},
            {"last_status", nullptr},
            {"last_error_at", nullptr},
            {"last_error", nullptr}};
  return {{"requests", e->requests},
          {"errors", e->errors},
          {"last_request_at", e->last_request_at ? json(FormatTime(e->last_request_at)) : json()},
          {"last_status", e->last_status ? json(e->last_status) : json()},
          {"last_error_at", e->last_error_at ? json(FormatTime(e->last_error_at)) : json()},
          {"last_error", e->last_error_at ? json(e->last_error) : json()}};
}

json Recorder::Stats(int64_t integration_id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(integration_id);
  return StatsOf(it == entries_.end() ? nullptr : &it->second);
}

json Recorder::Recent(int64_t integration_id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(integration_id);
  json items = json::array();
  if (it != entries_.end()) {
    for (const auto& r : it->second.recent) {
      json item = {{"at", FormatTime(r.at)}, {"method", r.method},
                   {"route", r.route},       {"content_type", r.content_type},
                   {"remote", r.remote},     {"request_id", r.request_id},
                   {"status", r.status},     {"duration_ms", r.duration_ms},
                   {"body", r.body},         {"body_bytes", r.body_bytes},
                   {"response", r.response}};
      item["error"] = r.status >= 400 ? json(ErrorOf(r)) : json();
      items.push_back(std::move(item));
    }
  }
  return {{"items", items}, {"stats", StatsOf(it == entries_.end() ? nullptr : &it->second)}};
}

void Recorder::Forget(int64_t integration_id) {
  std::lock_guard lock(mu_);
  entries_.erase(integration_id);
}

}  // namespace klaxon::intake
