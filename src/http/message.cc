#include "http/message.h"

namespace klaxon::http {

std::string_view Request::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

std::optional<std::string> Request::Cookie(std::string_view name) const {
  std::string_view all = Header("cookie");
  while (!all.empty()) {
    size_t semi = all.find(';');
    std::string_view part = all.substr(0, semi);
    all = semi == std::string_view::npos ? std::string_view() : all.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    if (part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
  }
  return std::nullopt;
}

Response Response::Json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", std::move(content_type));
  return r;
}

Response Response::Problem(const Status& status, std::string_view request_id) {
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& f : status.fields())
    errors.push_back({{"field", f.field}, {"message", f.message}});
  nlohmann::json body = {
      {"type", std::string("https://klaxon.dev/problems/") + CodeSlug(status.code())},
      {"title", CodeTitle(status.code())},
      {"status", HttpStatus(status.code())},
      {"detail", status.message()},
      {"errors", errors},
      {"request_id", request_id},
  };
  Response r = Json(HttpStatus(status.code()), body);
  r.headers[0].second = "application/problem+json";
  return r;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key = PercentDecode(part.substr(0, eq), true);
    std::string val = eq == std::string_view::npos ? "" : PercentDecode(part.substr(eq + 1), true);
    out[key] = val;
  }
  return out;
}

}  // namespace klaxon::http
