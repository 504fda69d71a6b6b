// Parsing integers from untrusted text (ids, query parameters); never throws. Any thread.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace klaxon {

// The whole of `s` as a decimal int64, at least `min`; nullopt otherwise ("12abc", "").
inline std::optional<int64_t> ParseInt64(std::string_view s, int64_t min = INT64_MIN) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < min) return std::nullopt;
  return v;
}

}  // namespace klaxon
