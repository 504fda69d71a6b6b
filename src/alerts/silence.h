// Silences: label matchers with a time window. A firing alert that an active silence
// matches is stored and shown as silenced, but opens no incident and pages nobody.
//
// Matchers follow Alertmanager: `=`, `!=`, `=~`, `!~`; regular expressions are anchored
// (the whole value must match). A silence matches when every matcher does. Values; pure
// functions; any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "intake/alert.h"

namespace klaxon::alerts {

struct Matcher {
  enum class Op { kEqual, kNotEqual, kRegex, kNotRegex };
  std::string name;
  Op op = Op::kEqual;
  std::string value;
  std::shared_ptr<const std::regex> re;  // compiled for kRegex / kNotRegex

  bool Matches(const intake::Labels& labels) const;
  nlohmann::json ToJson() const;
};

// Parses {"name","value","op":"="|"!="|"=~"|"!~"} (op defaults to "="); `field` prefixes
// error paths. Regexes longer than 1000 characters or invalid → InvalidArgument.
Result<Matcher> ParseMatcher(const nlohmann::json& j, const std::string& field);

struct Silence {
  int64_t id = 0;
  std::vector<Matcher> matchers;
  TimeMs starts_at = 0;
  TimeMs ends_at = 0;
  std::string created_by;
  std::string comment;
  std::optional<TimeMs> expired_at;  // ended early by a person

  bool ActiveAt(TimeMs t) const { return !expired_at && starts_at <= t && t < ends_at; }
  bool Matches(const intake::Labels& labels) const;
  nlohmann::json ToJson(TimeMs now) const;
};

}  // namespace klaxon::alerts
