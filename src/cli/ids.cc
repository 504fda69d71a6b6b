#include "cli/ids.h"

#include <cctype>

namespace klaxon::cli {

namespace {
constexpr int64_t kMaxId = int64_t{1} << 53;
constexpr size_t kMaxDigits = 16;  // 2^53 has 16 digits.
}  // namespace

std::optional<int64_t> ParsePositiveInt(std::string_view text) {
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
  if (text.empty() || text.size() > kMaxDigits) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > kMaxId) return std::nullopt;
  return value;
}

std::optional<std::string> NormalizeIncidentId(std::string_view text) {
  if (text.size() > 4 && std::toupper(static_cast<unsigned char>(text[0])) == 'I' &&
      std::toupper(static_cast<unsigned char>(text[1])) == 'N' &&
      std::toupper(static_cast<unsigned char>(text[2])) == 'C' && text[3] == '-') {
    text.remove_prefix(4);
  } else if (text.size() > 1 && text[0] == '#') {
    text.remove_prefix(1);
  }
  const std::optional<int64_t> number = ParsePositiveInt(text);
  if (!number) return std::nullopt;
  return std::to_string(*number);
}

std::string IncidentRef(std::string_view number) { return "INC-" + std::string(number); }

}  // namespace klaxon::cli
