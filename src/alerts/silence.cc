#include "alerts/silence.h"

#include "core/time_format.h"

namespace klaxon::alerts {

namespace {
const char* OpName(Matcher::Op op) {
  switch (op) {
    case Matcher::Op::kEqual:
      return "=";
    case Matcher::Op::kNotEqual:
      return "!=";
    case Matcher::Op::kRegex:
      return "=~";
    case Matcher::Op::kNotRegex:
      return "!~";
  }
  return "=";
}
}  // namespace

bool Matcher::Matches(const intake::Labels& labels) const {
  auto it = labels.find(name);
  const std::string& v = it == labels.end() ? std::string() : it->second;  // absent = ""
  switch (op) {
    case Op::kEqual:
      return v == value;
    case Op::kNotEqual:
      return v != value;
    case Op::kRegex:
      return std::regex_match(v, *re);
    case Op::kNotRegex:
      return !std::regex_match(v, *re);
  }
  return false;
}

nlohmann::json Matcher::ToJson() const {
  return {{"name", name}, {"op", OpName(op)}, {"value", value}};
}

Result<Matcher> ParseMatcher(const nlohmann::json& j, const std::string& field) {
  if (!j.is_object()) return InvalidField(field, "must be an object {name, op, value}");
  Matcher m;
  if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty())
    return InvalidField(field + "/name", "is required");
  if (!j.contains("value") || !j["value"].is_string())
    return InvalidField(field + "/value", "must be a string");
  m.name = j["name"];
  m.value = j["value"];
  std::string op = j.value("op", "=");
  if (op == "=")
    m.op = Matcher::Op::kEqual;
  else if (op == "!=")
    m.op = Matcher::Op::kNotEqual;
  else if (op == "=~")
    m.op = Matcher::Op::kRegex;
  else if (op == "!~")
    m.op = Matcher::Op::kNotRegex;
  else
    return InvalidField(field + "/op", "must be one of =, !=, =~, !~");
  if (m.op == Matcher::Op::kRegex || m.op == Matcher::Op::kNotRegex) {
    if (m.value.size() > 1000)
      return InvalidField(field + "/value", "regex is longer than 1000 characters");
    try {
      m.re = std::make_shared<const std::regex>("(?:" + m.value + ")",
                                                std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return InvalidField(field + "/value", std::string("invalid regex: ") + e.what());
    }
  }
  return m;
}

bool Silence::Matches(const intake::Labels& labels) const {
  for (const auto& m : matchers)
    if (!m.Matches(labels)) return false;
  return !matchers.empty();
}

nlohmann::json Silence::ToJson(TimeMs now) const {
  nlohmann::json ms = nlohmann::json::array();
  for (const auto& m : matchers) ms.push_back(m.ToJson());
  std::string state =
      expired_at || now >= ends_at ? "expired" : (now < starts_at ? "pending" : "active");
  return {{"id", id},
          {"matchers", ms},
          {"starts_at", FormatTime(starts_at)},
          {"ends_at", FormatTime(ends_at)},
          {"created_by", created_by},
          {"comment", comment},
          {"state", state}};
}

}  // namespace klaxon::alerts
