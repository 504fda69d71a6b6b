#include "playbook/match.h"

#include <charconv>
#include <cmath>
#include <regex>
#include <unordered_map>

namespace klaxon::playbook {
namespace {

const std::regex* Compiled(const std::string& pattern) {
  thread_local std::unordered_map<std::string, std::optional<std::regex>> cache;
  if (cache.size() > 1000) cache.clear();
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    std::optional<std::regex> re;
    try {
      re.emplace(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
    }
    it = cache.emplace(pattern, std::move(re)).first;
  }
  return it->second ? &*it->second : nullptr;
}

std::optional<double> ParseNumber(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  if (b == std::string::npos) return std::nullopt;
  std::string_view v(s.data() + b, e - b + 1);
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

}  // namespace

bool Matches(const Matcher& m, const LabelMap& labels) {
  auto it = labels.find(m.name);
  const std::string empty;
  const std::string& v = it == labels.end() ? empty : it->second;
  if (m.op == "=") return v == m.value;
  if (m.op == "!=") return v != m.value;
  const std::regex* re = Compiled(m.value);
  bool hit = re && std::regex_match(v, *re);
  if (m.op == "=~") return hit;
  if (m.op == "!~") return re && !hit;
  return false;
}

bool MatchesAll(const std::vector<Matcher>& ms, const LabelMap& labels) {
  for (const auto& m : ms)
    if (!Matches(m, labels)) return false;
  return true;
}

std::optional<double> ValueOf(const Condition& c, const LabelMap& labels,
                              const LabelMap& annotations) {
  const LabelMap& from = c.source == "label" ? labels : annotations;
  auto it = from.find(c.name);
  if (it == from.end()) return std::nullopt;
  return ParseNumber(it->second);
}

bool Holds(const Condition& c, const LabelMap& labels, const LabelMap& annotations) {
  auto v = ValueOf(c, labels, annotations);
  if (!v) return false;
  if (c.op == ">") return *v > c.value;
  if (c.op == ">=") return *v >= c.value;
  if (c.op == "<") return *v < c.value;
  if (c.op == "<=") return *v <= c.value;
  if (c.op == "==") return *v == c.value;
  if (c.op == "!=") return *v != c.value;
  return false;
}

std::optional<Classification> Classify(const std::vector<ClassificationRule>& rules,
                                       const LabelMap& labels, const LabelMap& annotations) {
  for (const auto& r : rules) {
    if (!MatchesAll(r.match, labels)) continue;
    bool all = true;
    for (const auto& c : r.conditions) all = all && Holds(c, labels, annotations);
    if (all) return Classification{r.severity, r.name};
  }
  return std::nullopt;
}

std::string Describe(const Condition& c) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, c.value);
  std::string num = ec == std::errc() ? std::string(buf, p) : std::to_string(c.value);
  std::string who = c.source == "label" ? "label " + c.name
                    : c.name == "value" ? std::string()
                                        : c.name;
  return (who.empty() ? "" : who + " ") + c.op + " " + num;
}

}  // namespace klaxon::playbook
