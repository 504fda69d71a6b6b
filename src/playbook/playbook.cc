// Loading and validating playbooks: YAML (or JSON) → a neutral node tree with positions →
// canonical JSON per entity plus every problem found → typed structs.
#include "playbook/playbook.h"

#include <date/date.h>
#include <date/tz.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "core/time_format.h"

namespace klaxon::playbook {

using json = nlohmann::json;

namespace {

// Weekday names as the files write them, 0 = Sunday.
constexpr const char* kWeekdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// "HH:MM" for minutes after midnight (1440 → "24:00").
std::string FormatClock(int minutes) {
  std::string h = std::to_string(minutes / 60), m = std::to_string(minutes % 60);
  return (h.size() < 2 ? "0" + h : h) + ":" + (m.size() < 2 ? "0" + m : m);
}

constexpr size_t kMaxName = 100;
constexpr size_t kMaxList = 500;
constexpr int kMaxDepth = 64;
constexpr DurationMs kSecond = 1000;
constexpr DurationMs kMinute = 60 * kSecond;
constexpr DurationMs kHour = 60 * kMinute;
constexpr DurationMs kDay = 24 * kHour;
constexpr DurationMs kWeek = 7 * kDay;
constexpr DurationMs kMaxDuration = 3653 * kDay;  // ten years

// ---------------------------------------------------------------------------------------
// The neutral tree: what YAML and JSON have in common, with positions (1-based; 0 when
// unknown).

struct Node {
  enum Type { kNull, kScalar, kSeq, kMap };
  Type type = kNull;
  std::string text;     // scalars
  bool quoted = false;  // a quoted YAML scalar or a JSON string: text, never a number
  int line = 0;
  int column = 0;
  std::vector<Node> items;  // sequences
  // Mappings: keys with their positions, and values.
  std::vector<std::string> keys;
  std::vector<std::pair<int, int>> key_marks;
  std::vector<Node> values;
};

struct RefUse {
  std::string kind;  // top-level key of the referenced kind
  std::string name;
  Problem where;  // file, line, column, key (message unused)
};

// Per-load state shared by all sources.
struct Load {
  std::vector<Problem> problems;
  std::vector<RefUse> refs;
  std::map<std::string, size_t> file_order;
  int severities_seen = 0;
};

// Per-source context.
struct Ctx {
  Load& load;
  std::string file;

  void Err(int line, int column, std::string key, std::string message) {
    load.problems.push_back({file, line, column, std::move(key), std::move(message)});
  }
  void Err(const Node& n, std::string key, std::string message) {
    Err(n.line, n.column, std::move(key), std::move(message));
  }
  void Ref(std::string kind, std::string name, const Node& n, std::string key) {
    load.refs.push_back(
        {std::move(kind), std::move(name), {file, n.line, n.column, std::move(key), ""}});
  }
};

std::string Index(const std::string& key, size_t i) { return key + "[" + std::to_string(i) + "]"; }

std::string Quote(std::string_view s) { return json(std::string(s)).dump(); }

// --- tree construction -----------------------------------------------------------------

Node FromYaml(Ctx& c, const YAML::Node& y, const std::string& key, int depth) {
  Node n;
  YAML::Mark m = y.Mark();
  if (m.line >= 0) {
    n.line = m.line + 1;
    n.column = m.column + 1;
  }
  if (depth > kMaxDepth) {
    c.Err(n, key, "nested too deeply");
    return n;
  }
  switch (y.Type()) {
    case YAML::NodeType::Scalar:
      n.type = Node::kScalar;
      n.text = y.Scalar();
      n.quoted = y.Tag() == "!";
      break;
    case YAML::NodeType::Sequence: {
      n.type = Node::kSeq;
      size_t i = 0;
      for (const auto& item : y) {
        n.items.push_back(FromYaml(c, item, Index(key, i), depth + 1));
        ++i;
      }
      break;
    }
    case YAML::NodeType::Map:
      n.type = Node::kMap;
      for (auto it = y.begin(); it != y.end(); ++it) {
        YAML::Mark km = it->first.Mark();
        int kl = km.line >= 0 ? km.line + 1 : n.line, kc = km.line >= 0 ? km.column + 1 : 0;
        if (!it->first.IsScalar()) {
          c.Err(kl, kc, key, "keys must be plain words");
          continue;
        }
        std::string k = it->first.Scalar();
        std::string child = key.empty() ? k : key + "." + k;
        if (std::find(n.keys.begin(), n.keys.end(), k) != n.keys.end()) {
          c.Err(kl, kc, child, "duplicate key");
          continue;
        }
        Node v = FromYaml(c, it->second, child, depth + 1);
        if (v.line == 0 || v.type == Node::kNull) {  // a null's own mark is unreliable
          v.line = kl;
          v.column = kc;
        }
        n.keys.push_back(k);
        n.key_marks.emplace_back(kl, kc);
        n.values.push_back(std::move(v));
      }
      break;
    default:
      n.type = Node::kNull;
  }
  return n;
}

Node FromJsonValue(const json& j, int depth) {
  Node n;
  if (depth > kMaxDepth) return n;
  if (j.is_object()) {
    n.type = Node::kMap;
    for (auto it = j.begin(); it != j.end(); ++it) {
      n.keys.push_back(it.key());
      n.key_marks.emplace_back(0, 0);
      n.values.push_back(FromJsonValue(it.value(), depth + 1));
    }
  } else if (j.is_array()) {
    n.type = Node::kSeq;
    for (const auto& item : j) n.items.push_back(FromJsonValue(item, depth + 1));
  } else if (j.is_string()) {
    n.type = Node::kScalar;
    n.text = j.get<std::string>();
    n.quoted = true;
  } else if (!j.is_null()) {
    n.type = Node::kScalar;
    n.text = j.dump();
  }
  return n;
}

// --- small validators ------------------------------------------------------------------

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string UnknownKeyMessage(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  size_t best_d = 3;
  for (const auto& k : known) {
    size_t d = EditDistance(key, k);
    if (d < best_d) best_d = d, best = k;
  }
  if (!best.empty()) return "unknown key (did you mean " + best + "?)";
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  return "unknown key (expected " + (list.empty() ? std::string("none") : list) + ")";
}

bool IsLabelName(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    bool ok = ch == '_' || std::isalpha(static_cast<unsigned char>(ch)) ||
              (i > 0 && std::isdigit(static_cast<unsigned char>(ch)));
    if (!ok) return false;
  }
  return true;
}

bool IsUsername(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-' &&
        ch != '@')
      return false;
  return true;
}

bool IsEmail(const std::string& s) {
  static const std::regex re(R"([^@\s]+@[^@\s.]+(\.[^@\s.]+)+)");
  return s.size() <= 254 && std::regex_match(s, re);
}

bool IsHttpUrl(const std::string& s) {
  static const std::regex re(R"(https?://[^\s/?#@]+([/?#]\S*)?)", std::regex::icase);
  return s.size() <= 2048 && std::regex_match(s, re);
}

bool IsTimeZone(const std::string& name) {
  if (name.empty()) return false;
  try {
    return date::locate_zone(name) != nullptr;
  } catch (const std::exception&) {
    return false;
  }
}

// "HH:MM" → minutes; allow_24 admits "24:00".
std::optional<int> ParseClock(std::string_view s, bool allow_24 = false) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59) return std::nullopt;
  if (h == 24 && m == 0 && allow_24) return 1440;
  if (h > 23) return std::nullopt;
  return h * 60 + m;
}

bool IsDate(std::string_view s) {
  static const std::regex re(R"(\d{4}-\d{2}-\d{2})");
  std::string str(s);
  if (!std::regex_match(str, re)) return false;
  int y = std::stoi(str.substr(0, 4)), m = std::stoi(str.substr(5, 2)),
      d = std::stoi(str.substr(8, 2));
  return date::year_month_day{date::year{y}, date::month(static_cast<unsigned>(m)),
                              date::day(static_cast<unsigned>(d))}
      .ok();
}

std::optional<int> ParseWeekday(std::string_view s) {
  std::string l;
  for (char ch : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (int i = 0; i < 7; ++i)
    if (l == kWeekdays[i]) return i;
  return std::nullopt;
}

std::optional<double> ParseNumber(std::string_view s) {
  double v = 0;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// Every ${NAME} in `s` (appended to `names`); "" when well formed, else the problem.
std::string CheckEnvRefs(std::string_view s, std::vector<std::string>* names) {
  for (size_t i = s.find("${"); i != std::string_view::npos; i = s.find("${", i + 2)) {
    size_t end = s.find('}', i + 2);
    if (end == std::string_view::npos) return "unterminated ${ (write ${NAME})";
    std::string_view name = s.substr(i + 2, end - i - 2);
    bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
    for (char ch : name)
      if (!(std::isupper(static_cast<unsigned char>(ch)) ||
            std::isdigit(static_cast<unsigned char>(ch)) || ch == '_'))
        ok = false;
    if (!ok)
      return "bad environment reference ${" + std::string(name) +
             "} (names are capitals, digits and _)";
    if (names) names->emplace_back(name);
  }
  return "";
}

bool LooksSecret(const std::string& header) {
  std::string l;
  for (char ch : header) l += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const char* w : {"authorization", "token", "secret", "key", "password", "cookie"})
    if (l.find(w) != std::string::npos) return true;
  return false;
}

bool IsHeaderName(const std::string& s) {
  if (s.empty() || s.size() > 256) return false;
  for (char ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch)) &&
        std::string_view("!#$%&'*+-.^_`|~").find(ch) == std::string_view::npos)
      return false;
  return true;
}

// --- mappings --------------------------------------------------------------------------

// A mapping being read: each key read is marked; Finish() reports the others.
class Obj {
 public:
  Obj(Ctx& c, const Node& n, std::string key) : c_(c), n_(n), key_(std::move(key)) {
    if (n.type != Node::kMap) {
      c.Err(n, key_, n.type == Node::kNull ? "must not be empty" : "must be a mapping");
      valid_ = false;
    }
    used_.assign(n.keys.size(), false);
  }
  bool valid() const { return valid_; }
  Ctx& ctx() { return c_; }
  const Node& node() const { return n_; }
  std::string Key(std::string_view k) const {
    return key_.empty() ? std::string(k) : key_ + "." + std::string(k);
  }

  // The value of `k`, or nullptr when absent or null. Marks `k` as known.
  const Node* Take(std::string_view k) {
    known_.emplace_back(k);
    for (size_t i = 0; i < n_.keys.size(); ++i) {
      if (n_.keys[i] != k) continue;
      used_[i] = true;
      return n_.values[i].type == Node::kNull ? nullptr : &n_.values[i];
    }
    return nullptr;
  }
  // Where to report a problem with `k`: its value, else the mapping itself.
  const Node& At(std::string_view k) const {
    for (size_t i = 0; i < n_.keys.size(); ++i)
      if (n_.keys[i] == k) return n_.values[i];
    return n_;
  }
  bool Has(std::string_view k) const {
    for (size_t i = 0; i < n_.keys.size(); ++i)
      if (n_.keys[i] == k && n_.values[i].type != Node::kNull) return true;
    return false;
  }

  void Finish() {
    if (!valid_) return;
    for (size_t i = 0; i < n_.keys.size(); ++i) {
      if (used_[i]) continue;
      c_.Err(n_.key_marks[i].first, n_.key_marks[i].second, Key(n_.keys[i]),
             UnknownKeyMessage(n_.keys[i], known_));
    }
  }

  // Required, non-empty.
  std::string Required(std::string_view k) {
    const Node* v = Take(k);
    if (!v) {
      c_.Err(n_, Key(k), "is required");
      return "";
    }
    std::string s = Scalar(*v, Key(k));
    if (s.empty() && v->type == Node::kScalar) c_.Err(*v, Key(k), "must not be empty");
    return s;
  }
  std::string Str(std::string_view k, std::string def = "") {
    const Node* v = Take(k);
    return v ? Scalar(*v, Key(k)) : def;
  }
  json OptStr(std::string_view k) {
    const Node* v = Take(k);
    if (!v) return nullptr;
    std::string s = Scalar(*v, Key(k));
    return s.empty() ? json(nullptr) : json(s);
  }
  bool Bool(std::string_view k, bool def) {
    const Node* v = Take(k);
    if (!v) return def;
    return AsBool(*v, Key(k)).value_or(def);
  }
  int64_t Int(std::string_view k, int64_t def, int64_t min, int64_t max) {
    const Node* v = Take(k);
    if (!v) return def;
    return AsInt(*v, Key(k), min, max).value_or(def);
  }
  json OptInt(std::string_view k, int64_t min, int64_t max) {
    const Node* v = Take(k);
    if (!v) return nullptr;
    auto i = AsInt(*v, Key(k), min, max);
    return i ? json(*i) : json(nullptr);
  }
  // A duration of at least `min` ms: canonical string, or `def` when absent.
  json Dur(std::string_view k, DurationMs min, json def = nullptr) {
    const Node* v = Take(k);
    if (!v) return def;
    return AsDuration(*v, Key(k), min);
  }
  std::string Enum(std::string_view k, const std::vector<std::string>& options, std::string def) {
    const Node* v = Take(k);
    if (!v) {
      if (def.empty()) c_.Err(n_, Key(k), "is required (" + Join(options) + ")");
      return def;
    }
    std::string s = Scalar(*v, Key(k));
    if (v->type == Node::kScalar && std::find(options.begin(), options.end(), s) == options.end()) {
      c_.Err(*v, Key(k), "must be one of " + Join(options));
      return def;
    }
    return s;
  }
  json TimeZone(std::string_view k, std::string def) {
    const Node* v = Take(k);
    if (!v) return def;
    std::string s = Scalar(*v, Key(k));
    if (v->type == Node::kScalar && !IsTimeZone(s))
      c_.Err(*v, Key(k),
             "unknown time zone " + Quote(s) + " (use an IANA name like Europe/Berlin)");
    return s;
  }
  json Mustache(std::string_view k, std::string def = "") {
    const Node* v = Take(k);
    if (!v) return def;
    std::string s = Scalar(*v, Key(k));
    if (std::string err = CheckMustache(s); !err.empty()) c_.Err(*v, Key(k), err);
    return s;
  }
  // A list of items read by `fn` (absent: []); at most `max` items.
  json List(std::string_view k,
            const std::function<json(Ctx&, const Node&, const std::string&)>& fn,
            size_t max = kMaxList) {
    const Node* v = Take(k);
    json out = json::array();
    if (!v) return out;
    return ListOf(c_, *v, Key(k), fn, max);
  }
  json Ref(std::string_view k, const std::string& kind) {
    const Node* v = Take(k);
    if (!v) return nullptr;
    std::string s = Scalar(*v, Key(k));
    if (s.empty()) return nullptr;
    c_.Ref(kind, s, *v, Key(k));
    return s;
  }
  json RefList(std::string_view k, const std::string& kind) {
    return List(k, [kind](Ctx& c, const Node& n, const std::string& key) -> json {
      std::string s = Scalar(c, n, key);
      if (s.empty() && n.type == Node::kScalar) c.Err(n, key, "must not be empty");
      if (!s.empty()) c.Ref(kind, s, n, key);
      return s;
    });
  }
  json StrList(std::string_view k) {
    return List(
        k, [](Ctx& c, const Node& n, const std::string& key) -> json { return Scalar(c, n, key); });
  }

  // Scalar readers, usable on any node.
  static std::string Scalar(Ctx& c, const Node& n, const std::string& key) {
    if (n.type == Node::kScalar) return n.text;
    if (n.type == Node::kNull) return "";
    c.Err(n, key,
          n.type == Node::kSeq ? "must be a single value, not a list"
                               : "must be a single value, not a mapping");
    return "";
  }
  std::string Scalar(const Node& n, const std::string& key) { return Scalar(c_, n, key); }
  static std::optional<bool> AsBool(Ctx& c, const Node& n, const std::string& key) {
    if (n.type == Node::kScalar && !n.quoted) {
      std::string l;
      for (char ch : n.text) l += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (l == "true" || l == "yes" || l == "on") return true;
      if (l == "false" || l == "no" || l == "off") return false;
    }
    c.Err(n, key, "must be true or false");
    return std::nullopt;
  }
  std::optional<bool> AsBool(const Node& n, const std::string& key) { return AsBool(c_, n, key); }
  static std::optional<int64_t> AsInt(Ctx& c, const Node& n, const std::string& key, int64_t min,
                                      int64_t max) {
    int64_t v = 0;
    bool ok = n.type == Node::kScalar && !n.quoted && !n.text.empty();
    if (ok) {
      auto [p, ec] = std::from_chars(n.text.data(), n.text.data() + n.text.size(), v);
      ok = ec == std::errc() && p == n.text.data() + n.text.size();
    }
    if (!ok || v < min || v > max) {
      c.Err(n, key, "must be an integer " + std::to_string(min) + "-" + std::to_string(max));
      return std::nullopt;
    }
    return v;
  }
  std::optional<int64_t> AsInt(const Node& n, const std::string& key, int64_t min, int64_t max) {
    return AsInt(c_, n, key, min, max);
  }
  static json AsDuration(Ctx& c, const Node& n, const std::string& key, DurationMs min) {
    std::string s = Scalar(c, n, key);
    if (n.type != Node::kScalar) return nullptr;
    auto d = ParseDuration(s);
    if (!d) {
      c.Err(n, key, "must be a duration like 90s, 15m, 1h30m, 2d or 1w, not " + Quote(s));
      return nullptr;
    }
    if (*d < min) {
      c.Err(n, key, "must be at least " + FormatDuration(min));
      return nullptr;
    }
    return FormatDuration(*d);
  }
  json AsDuration(const Node& n, const std::string& key, DurationMs min) {
    return AsDuration(c_, n, key, min);
  }
  static json ListOf(Ctx& c, const Node& n, const std::string& key,
                     const std::function<json(Ctx&, const Node&, const std::string&)>& fn,
                     size_t max = kMaxList) {
    json out = json::array();
    if (n.type != Node::kSeq) {
      c.Err(n, key, "must be a list");
      return out;
    }
    if (n.items.size() > max) c.Err(n, key, "must have at most " + std::to_string(max) + " items");
    for (size_t i = 0; i < n.items.size(); ++i) out.push_back(fn(c, n.items[i], Index(key, i)));
    return out;
  }

  static std::string Join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }

 private:
  Ctx& c_;
  const Node& n_;
  std::string key_;
  bool valid_ = true;
  std::vector<bool> used_;
  std::vector<std::string> known_;
};

// An entity's name: 1-100 characters, not a number.
std::string EntityName(Obj& o) {
  std::string name = o.Required("name");
  if (name.empty()) return name;
  const Node* n = nullptr;
  for (size_t i = 0; i < o.node().keys.size(); ++i)
    if (o.node().keys[i] == "name") n = &o.node().values[i];
  if (name.size() > kMaxName)
    o.ctx().Err(*n, o.Key("name"), "must be at most 100 characters");
  else if (ParseNumber(name) && name.find_first_not_of("0123456789") == std::string::npos)
    o.ctx().Err(*n, o.Key("name"), "must not be a number (ids are numbers)");
  return name;
}

// --- shared shapes ---------------------------------------------------------------------

const std::vector<std::string> kAllTargetTypes = {"user", "schedule", "role", "team", "email"};
const std::vector<std::string> kPolicyTargetTypes = {"user", "schedule", "role"};
const std::vector<std::string> kNotifyTargetTypes = {"user", "schedule", "role", "team"};

std::string TargetKind(const std::string& type) {
  if (type == "user") return "users";
  if (type == "schedule") return "schedules";
  if (type == "role") return "roles";
  if (type == "team") return "teams";
  return "";
}

// "type:name" or {type, name}.
json ParseTarget(Ctx& c, const Node& n, const std::string& key,
                 const std::vector<std::string>& types) {
  std::string type, name;
  const Node* at = &n;
  if (n.type == Node::kScalar) {
    size_t colon = n.text.find(':');
    if (colon == std::string::npos) {
      c.Err(n, key, "must be type:name (" + Obj::Join(types) + "), e.g. user:alice");
      return nullptr;
    }
    type = n.text.substr(0, colon);
    name = n.text.substr(colon + 1);
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
  } else {
    Obj o(c, n, key);
    if (!o.valid()) return nullptr;
    type = o.Enum("type", types, "");
    name = o.Required("name");
    o.Finish();
    for (size_t i = 0; i < n.keys.size(); ++i)
      if (n.keys[i] == "name") at = &n.values[i];
    if (type.empty() || name.empty()) return nullptr;
  }
  if (std::find(types.begin(), types.end(), type) == types.end()) {
    c.Err(n, key, "target type must be one of " + Obj::Join(types) + ", not " + Quote(type));
    return nullptr;
  }
  if (name.empty()) {
    c.Err(n, key, "target name must not be empty");
    return nullptr;
  }
  if (type == "email") {
    if (!IsEmail(name)) c.Err(*at, key, "must be an email address");
  } else {
    c.Ref(TargetKind(type), name, *at, key);
  }
  return {{"type", type}, {"name", name}};
}

json Targets(Obj& o, std::string_view k, const std::vector<std::string>& types, size_t min,
             size_t max) {
  const Node* v = o.Take(k);
  json out = json::array();
  if (!v) {
    if (min > 0) o.ctx().Err(o.node(), o.Key(k), "is required");
    return out;
  }
  out = Obj::ListOf(
      o.ctx(), *v, o.Key(k),
      [&types](Ctx& c, const Node& n, const std::string& key) {
        return ParseTarget(c, n, key, types);
      },
      max);
  if (out.size() < min && v->type == Node::kSeq)
    o.ctx().Err(*v, o.Key(k), "must have at least " + std::to_string(min) + " target(s)");
  return out;
}

const std::vector<std::string> kOps = {"=", "!=", "=~", "!~"};

json MakeMatcher(Ctx& c, const Node& n, const std::string& key, const std::string& name,
                 const std::string& op, const std::string& value) {
  if (!IsLabelName(name)) {
    c.Err(n, key, "label name " + Quote(name) + " must be letters, digits and _");
    return nullptr;
  }
  if (op == "=~" || op == "!~") {
    try {
      std::regex re(value);
    } catch (const std::regex_error&) {
      c.Err(n, key, "invalid regular expression " + Quote(value));
      return nullptr;
    }
  }
  return {{"name", name}, {"op", op}, {"value", value}};
}

// `label=value`, `label!~"regex"`, or {name, op, value}.
json ParseMatcher(Ctx& c, const Node& n, const std::string& key) {
  if (n.type == Node::kScalar) {
    static const std::regex re(R"(\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*)");
    std::smatch m;
    if (!std::regex_match(n.text, m, re)) {
      c.Err(n, key, "must be a matcher like service=checkout, env!=dev or job=~\"api|web\"");
      return nullptr;
    }
    std::string value = m[3];
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      json parsed = json::parse(value, nullptr, false);
      if (parsed.is_string())
        value = parsed.get<std::string>();
      else
        value = value.substr(1, value.size() - 2);
    }
    return MakeMatcher(c, n, key, m[1], m[2], value);
  }
  Obj o(c, n, key);
  if (!o.valid()) return nullptr;
  std::string name = o.Required("name");
  std::string op = o.Enum("op", kOps, "=");
  std::string value = o.Str("value");
  o.Finish();
  if (name.empty()) return nullptr;
  return MakeMatcher(c, n, key, name, op, value);
}

// A list of matchers, or a mapping {label: value} meaning equality.
json Matchers(Obj& o, std::string_view k) {
  const Node* v = o.Take(k);
  json out = json::array();
  if (!v) return out;
  Ctx& c = o.ctx();
  std::string key = o.Key(k);
  if (v->type == Node::kMap) {
    for (size_t i = 0; i < v->keys.size(); ++i) {
      std::string child = key + "." + v->keys[i];
      std::string value = Obj::Scalar(c, v->values[i], child);
      json m = MakeMatcher(c, v->values[i], child, v->keys[i], "=", value);
      if (!m.is_null()) out.push_back(m);
    }
    return out;
  }
  return Obj::ListOf(c, *v, key, ParseMatcher, 100);
}

const std::vector<std::string> kCmpOps = {">", ">=", "<", "<=", "==", "!="};

// "> 0.1" (annotation "value") or {annotation|label: name, op, value}.
json ParseCondition(Ctx& c, const Node& n, const std::string& key) {
  if (n.type == Node::kScalar) {
    static const std::regex re(R"(\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*)");
    std::smatch m;
    std::optional<double> v;
    if (std::regex_match(n.text, m, re)) v = ParseNumber(m[2].str());
    if (!v) {
      c.Err(n, key, "must be a comparison like \"> 0.1\" (>, >=, <, <=, ==, !=)");
      return nullptr;
    }
    return {{"annotation", "value"}, {"op", m[1].str()}, {"value", *v}};
  }
  Obj o(c, n, key);
  if (!o.valid()) return nullptr;
  const Node* an = o.Take("annotation");
  const Node* ln = o.Take("label");
  if (an && ln) c.Err(n, key, "give annotation or label, not both");
  std::string source = ln && !an ? "label" : "annotation";
  std::string name = "value";
  if (an || ln) {
    const Node* src = an ? an : ln;
    name = Obj::Scalar(c, *src, o.Key(source));
    if (src->type == Node::kScalar && name.empty()) c.Err(*src, o.Key(source), "must not be empty");
  }
  std::string op = o.Enum("op", kCmpOps, "");
  const Node* vn = o.Take("value");
  std::optional<double> v;
  if (!vn)
    c.Err(o.At("value"), o.Key("value"), "is required");
  else if (vn->type == Node::kScalar && !vn->quoted)
    v = ParseNumber(vn->text);
  if (vn && !v) c.Err(*vn, o.Key("value"), "must be a number");
  o.Finish();
  if (name.empty() || op.empty() || !v) return nullptr;
  return {{source, name}, {"op", op}, {"value", *v}};
}

// --- the kinds -------------------------------------------------------------------------

json ParseCalendar(Ctx& c, const Node* n, const std::string& key, const json& org_zone) {
  json j = {{"time_zone", org_zone},
            {"working_days", {"mon", "tue", "wed", "thu", "fri"}},
            {"hours", "09:00-17:00"},
            {"holidays", json::array()}};
  if (!n) return j;
  Obj o(c, *n, key);
  if (!o.valid()) return j;
  j["time_zone"] = o.TimeZone("time_zone", org_zone.get<std::string>());
  if (const Node* wd = o.Take("working_days")) {
    std::set<int> days;
    Obj::ListOf(c, *wd, o.Key("working_days"), [&](Ctx& c2, const Node& d, const std::string& k) {
      auto day = ParseWeekday(Obj::Scalar(c2, d, k));
      if (!day)
        c2.Err(d, k, "must be one of mon tue wed thu fri sat sun");
      else if (!days.insert(*day).second)
        c2.Err(d, k, "is listed twice");
      return json();
    });
    json list = json::array();
    for (int i = 1; i <= 7; ++i)
      if (days.count(i % 7)) list.push_back(kWeekdays[i % 7]);
    j["working_days"] = list;
  }
  if (const Node* h = o.Take("hours")) {
    std::string s = Obj::Scalar(c, *h, o.Key("hours"));
    std::optional<int> a, b;
    if (s.size() == 11 && s[5] == '-')
      a = ParseClock(s.substr(0, 5)), b = ParseClock(s.substr(6), true);
    if (!a || !b || *b <= *a)
      c.Err(*h, o.Key("hours"),
            "must be HH:MM-HH:MM with the end after the start, e.g. 09:00-17:00");
    else
      j["hours"] = FormatClock(*a) + "-" + FormatClock(*b);
  }
  std::set<std::string> dates;
  j["holidays"] = o.List("holidays", [&](Ctx& c2, const Node& d, const std::string& k) -> json {
    std::string date, name;
    const Node* at = &d;
    if (d.type == Node::kMap) {
      Obj h(c2, d, k);
      date = h.Required("date");
      name = h.Str("name");
      for (size_t i = 0; i < d.keys.size(); ++i)
        if (d.keys[i] == "date") at = &d.values[i];
      h.Finish();
    } else {
      date = Obj::Scalar(c2, d, k);
    }
    if (!IsDate(date))
      c2.Err(*at, k, "must be a date YYYY-MM-DD");
    else if (!dates.insert(date).second)
      c2.Err(*at, k, "holiday " + date + " is listed twice");
    return {{"date", date}, {"name", name}};
  });
  o.Finish();
  return j;
}

json ParseOrganization(Ctx& c, const Node& n, const std::string& key) {
  Obj o(c, n, key);
  if (!o.valid()) return nullptr;
  json j;
  j["name"] = EntityName(o);
  j["time_zone"] = o.TimeZone("time_zone", "UTC");
  j["war_room_pattern"] = o.Mustache("war_room_pattern", "#incident-{{date}}-{{slug}}");
  j["business_calendar"] =
      ParseCalendar(c, o.Take("business_calendar"), o.Key("business_calendar"), j["time_zone"]);
  o.Finish();
  return j;
}

json ParseSeverity(Ctx& c, Obj& o) {
  int position = ++c.load.severities_seen;
  json j;
  j["name"] = EntityName(o);
  if (const Node* r = o.Take("rank")) {
    auto rank = o.AsInt(*r, o.Key("rank"), 1, 1000);
    if (rank && *rank != position)
      c.Err(*r, o.Key("rank"),
            "is " + std::to_string(*rank) + " but the level is number " + std::to_string(position) +
                " in the list (rank follows the order)");
  }
  j["rank"] = position;
  j["description"] = o.Str("description");
  j["examples"] = o.StrList("examples");
  j["ack_target"] = o.Dur("ack_target", kSecond);
  j["resolve_target"] = o.Dur("resolve_target", kSecond);
  if (const Node* u = o.Take("update_every")) {
    if (u->type == Node::kScalar && u->text == "milestones")
      j["update_every"] = "milestones";
    else if (u->type == Node::kScalar && !ParseDuration(u->text))
      c.Err(*u, o.Key("update_every"),
            "must be a duration like 15m or the word milestones (start, major updates, end)");
    else
      j["update_every"] = o.AsDuration(*u, o.Key("update_every"), kMinute);
  } else {
    j["update_every"] = nullptr;
  }
  j["escalation_policy"] = o.Ref("escalation_policy", "escalation_policies");
  j["required_roles"] = o.RefList("required_roles", "roles");
  j["status_page"] = o.Bool("status_page", false);
  j["customer_notice"] = o.Bool("customer_notice", false);
  j["war_room"] = o.Bool("war_room", false);
  j["page"] = o.Enum("page", {"always", "business_hours", "never"}, "always");
  j["review"] = {{"required", false}, {"deadline", nullptr}};
  if (const Node* r = o.Take("review")) {
    Obj ro(c, *r, o.Key("review"));
    if (ro.valid()) {
      j["review"]["required"] = ro.Bool("required", true);
      if (const Node* d = ro.Take("deadline")) {
        std::string s = Obj::Scalar(c, *d, ro.Key("deadline"));
        static const std::regex bd(R"((\d{1,3})\s+business\s+days?)");
        std::smatch m;
        if (d->type != Node::kScalar) {
          // reported by Scalar
        } else if (std::regex_match(s, m, bd)) {
          int days = std::stoi(m[1]);
          if (days < 1 || days > 365)
            c.Err(*d, ro.Key("deadline"), "must be 1-365 business days");
          else
            j["review"]["deadline"] =
                std::to_string(days) + (days == 1 ? " business day" : " business days");
        } else if (!ParseDuration(s)) {
          c.Err(*d, ro.Key("deadline"),
                "must be a duration like 48h or a number of business days like \"5 business "
                "days\"");
        } else {
          j["review"]["deadline"] = ro.AsDuration(*d, ro.Key("deadline"), kHour);
        }
      }
      ro.Finish();
    }
  }
  j["stakeholders"] = Targets(o, "stakeholders", kAllTargetTypes, 0, 100);
  const Node* mx = o.Take("escalation_matrix");
  j["escalation_matrix"] = json::array();
  if (mx) {
    DurationMs last = 0;
    j["escalation_matrix"] = Obj::ListOf(
        c, *mx, o.Key("escalation_matrix"),
        [&last](Ctx& c2, const Node& n, const std::string& key) -> json {
          Obj so(c2, n, key);
          if (!so.valid()) return nullptr;
          json after = so.Dur("after", kMinute);
          if (!so.Has("after") && so.valid())
            c2.Err(so.At("after"), so.Key("after"), "is required");
          json notify = Targets(so, "notify", kNotifyTargetTypes, 1, 20);
          so.Finish();
          if (after.is_string()) {
            DurationMs a = *ParseDuration(after.get<std::string>());
            if (a <= last)
              c2.Err(so.At("after"), so.Key("after"), "must be later than the step before");
            last = a;
          }
          return {{"after", after}, {"notify", notify}};
        },
        20);
  }
  return j;
}

json ParseService(Ctx&, Obj& o) {
  json j;
  j["name"] = EntityName(o);
  j["description"] = o.Str("description");
  j["owner"] = o.Ref("owner", "teams");
  j["escalation_policy"] = o.Ref("escalation_policy", "escalation_policies");
  return j;
}

const std::vector<std::string> kChannels = {"email",   "slack",      "teams",
                                            "discord", "mattermost", "webhook"};

json ParseUser(Ctx& c, Obj& o) {
  json j;
  std::string username = o.Required("username");
  if (!username.empty() && !IsUsername(username))
    c.Err(o.At("username"), o.Key("username"), "must be 1-64 letters, digits or . _ - @");
  j["username"] = username;
  j["name"] = o.Str("name", username);
  if (j["name"] == "") j["name"] = username;
  j["role"] = o.Enum("role", {"viewer", "responder", "admin"}, "responder");
  j["time_zone"] = o.TimeZone("time_zone", "UTC");
  std::set<std::string> labels;
  j["contact_methods"] = o.List(
      "contact_methods",
      [&labels](Ctx& c2, const Node& n, const std::string& key) -> json {
        Obj m(c2, n, key);
        if (!m.valid()) return nullptr;
        std::string kind = m.Enum("kind", kChannels, "");
        std::string address = m.Required("address");
        std::string label = m.Str("label");
        m.Finish();
        if (!address.empty() && !kind.empty()) {
          bool ok = kind == "email" ? IsEmail(address) : IsHttpUrl(address);
          if (!ok)
            c2.Err(m.At("address"), m.Key("address"),
                   kind == "email" ? "must be an email address" : "must be an http(s) URL");
        }
        if (!label.empty() && !labels.insert(label).second)
          c2.Err(m.At("label"), m.Key("label"), "another contact method has this label");
        return {{"kind", kind}, {"address", address}, {"label", label}};
      },
      20);
  const json methods = j["contact_methods"];
  j["notification_rules"] = o.List(
      "notification_rules",
      [&methods](Ctx& c2, const Node& n, const std::string& key) -> json {
        Obj r(c2, n, key);
        if (!r.valid()) return nullptr;
        std::string cm = r.Required("contact_method");
        int64_t delay = r.Int("delay_minutes", 0, 0, 1440);
        r.Finish();
        bool found = false;
        for (const auto& m : methods)
          if (m.is_object() && (m["label"] == cm || m["address"] == cm)) found = true;
        if (!cm.empty() && !found)
          c2.Err(r.At("contact_method"), r.Key("contact_method"),
                 "names no contact method of this user (give its label or address)");
        return {{"contact_method", cm}, {"delay_minutes", delay}};
      },
      50);
  return j;
}

json ParseTeam(Ctx&, Obj& o) {
  json j;
  j["name"] = EntityName(o);
  j["description"] = o.Str("description");
  j["members"] = o.RefList("members", "users");
  return j;
}

// {weekday | weekdays, start, duration_minutes | end} → one or more canonical windows.
void ParseRestriction(Ctx& c, const Node& n, const std::string& key, json& out) {
  Obj o(c, n, key);
  if (!o.valid()) return;
  std::vector<int> days;
  const Node* one = o.Take("weekday");
  const Node* many = o.Take("weekdays");
  if (one && many) c.Err(n, key, "give weekday or weekdays, not both");
  if (!one && !many)
    c.Err(o.At("weekday"), o.Key("weekday"), "is required (or weekdays: [mon, tue, ...])");
  auto day = [&](const Node& d, const std::string& k) {
    auto w = ParseWeekday(Obj::Scalar(c, d, k));
    if (!w)
      c.Err(d, k, "must be one of sun mon tue wed thu fri sat");
    else
      days.push_back(*w);
  };
  if (one) day(*one, o.Key("weekday"));
  if (many) {
    if (many->type != Node::kSeq)
      c.Err(*many, o.Key("weekdays"), "must be a list");
    else
      for (size_t i = 0; i < many->items.size(); ++i)
        day(many->items[i], Index(o.Key("weekdays"), i));
  }
  std::optional<int> start;
  if (const Node* s = o.Take("start")) {
    start = ParseClock(Obj::Scalar(c, *s, o.Key("start")));
    if (!start) c.Err(*s, o.Key("start"), "must be HH:MM (local time)");
  } else {
    c.Err(o.At("start"), o.Key("start"), "is required");
  }
  const Node* dur = o.Take("duration_minutes");
  const Node* end = o.Take("end");
  std::optional<int64_t> minutes;
  if (dur && end) c.Err(n, key, "give duration_minutes or end, not both");
  if (dur) minutes = o.AsInt(*dur, o.Key("duration_minutes"), 1, 7 * 1440);
  if (end) {
    auto e = ParseClock(Obj::Scalar(c, *end, o.Key("end")), true);
    if (!e)
      c.Err(*end, o.Key("end"), "must be HH:MM (local time)");
    else if (start)
      minutes = *e > *start ? *e - *start : *e + 1440 - *start;  // past midnight
  }
  if (!dur && !end)
    c.Err(o.At("duration_minutes"), o.Key("duration_minutes"), "is required (or end: HH:MM)");
  o.Finish();
  if (!start || !minutes) return;
  for (int d : days)
    out.push_back({{"weekday", kWeekdays[d]},
                   {"start", FormatClock(*start)},
                   {"duration_minutes", *minutes}});
}

json ParseLayer(Ctx& c, const Node& n, const std::string& key) {
  Obj o(c, n, key);
  if (!o.valid()) return nullptr;
  json j;
  j["name"] = o.Required("name");
  if (j["name"] == "override")
    c.Err(o.At("name"), o.Key("name"), "\"override\" is reserved for overrides");
  j["users"] = o.RefList("users", "users");
  if (j["users"].empty()) c.Err(o.At("users"), o.Key("users"), "needs at least one user");
  j["rotation"] = {{"unit", "weeks"}, {"length", 1}};
  if (const Node* r = o.Take("rotation")) {
    Obj ro(c, *r, o.Key("rotation"));
    if (ro.valid()) {
      j["rotation"]["unit"] = ro.Enum("unit", {"hours", "days", "weeks"}, "");
      j["rotation"]["length"] = ro.Int("length", 1, 1, 1000);
      ro.Finish();
    }
  }
  std::string date = o.Required("start_date");
  if (!date.empty() && !IsDate(date))
    c.Err(o.At("start_date"), o.Key("start_date"), "must be a date YYYY-MM-DD");
  j["start_date"] = date;
  std::string handoff = o.Str("handoff_time", "09:00");
  auto hm = ParseClock(handoff);
  if (!hm) c.Err(o.At("handoff_time"), o.Key("handoff_time"), "must be HH:MM (local time)");
  j["handoff_time"] = hm ? FormatClock(*hm) : handoff;
  json windows = json::array();
  if (const Node* rs = o.Take("restrictions")) {
    Obj::ListOf(
        c, *rs, o.Key("restrictions"),
        [&windows](Ctx& c2, const Node& r, const std::string& k) {
          ParseRestriction(c2, r, k, windows);
          return json();
        },
        100);
  }
  j["restrictions"] = windows;
  o.Finish();
  return j;
}

json ParseSchedule(Ctx& c, Obj& o) {
  json j;
  j["name"] = EntityName(o);
  j["description"] = o.Str("description");
  j["time_zone"] = o.TimeZone("time_zone", "UTC");
  j["layers"] = o.List("layers", ParseLayer, 50);
  std::set<std::string> names;
  for (size_t i = 0; i < j["layers"].size(); ++i) {
    const json& l = j["layers"][i];
    if (l.is_object() && l["name"] != "" && !names.insert(l["name"].get<std::string>()).second)
      c.Err(o.node(), Index(o.Key("layers"), i) + ".name", "must be unique within the schedule");
  }
  j["overrides"] = o.List("overrides", [](Ctx& c2, const Node& n, const std::string& key) -> json {
    Obj ov(c2, n, key);
    if (!ov.valid()) return nullptr;
    json user = ov.Ref("user", "users");
    if (user.is_null()) c2.Err(ov.At("user"), ov.Key("user"), "is required");
    std::optional<TimeMs> times[2];
    const char* names[2] = {"start", "end"};
    for (int i = 0; i < 2; ++i) {
      std::string s = ov.Required(names[i]);
      if (s.empty()) continue;
      times[i] = ParseTime(s);
      if (!times[i])
        c2.Err(n, ov.Key(names[i]), "must be an RFC 3339 time like 2026-12-24T18:00:00Z");
    }
    ov.Finish();
    if (times[0] && times[1] && *times[1] <= *times[0])
      c2.Err(ov.At("end"), ov.Key("end"), "must be after start");
    return {{"user", user},
            {"start", times[0] ? json(FormatTime(*times[0])) : json(nullptr)},
            {"end", times[1] ? json(FormatTime(*times[1])) : json(nullptr)}};
  });
  if (j["layers"].empty() && j["overrides"].empty())
    c.Err(o.At("layers"), o.Key("layers"), "a schedule needs at least one layer");
  return j;
}

json ParsePolicy(Ctx& c, Obj& o) {
  json j;
  j["name"] = EntityName(o);
  j["description"] = o.Str("description");
  j["repeat"] = o.Int("repeat", 0, 0, 9);
  j["default"] = o.Bool("default", false);
  j["steps"] = o.List(
      "steps",
      [](Ctx& c2, const Node& n, const std::string& key) -> json {
        Obj s(c2, n, key);
        if (!s.valid()) return nullptr;
        json delay = s.OptInt("delay_minutes", 1, 1440);
        if (!s.Has("delay_minutes"))
          c2.Err(s.At("delay_minutes"), s.Key("delay_minutes"), "is required (1-1440)");
        json targets = Targets(s, "targets", kPolicyTargetTypes, 1, 20);
        s.Finish();
        return {{"delay_minutes", delay}, {"targets", targets}};
      },
      20);
  if (j["steps"].empty()) c.Err(o.At("steps"), o.Key("steps"), "a policy needs at least one step");
  return j;
}

const std::vector<std::string> kIntegrationKinds = {"alertmanager", "prometheus", "pagerduty",
                                                    "grafana",      "heartbeat",  "webhook"};

json ParseMapping(Ctx& c, const Node* n, const std::string& key) {
  json j = {{"title", "/title"},
            {"dedup_key", "/dedup_key"},
            {"status", "/status"},
            {"severity", "/severity"},
            {"labels", "/labels"},
            {"events", ""},
            {"resolved_values", {"resolved", "ok", "closed", "recovered", "resolve"}}};
  if (!n) return j;
  Obj o(c, *n, key);
  if (!o.valid()) return j;
  for (const char* k : {"title", "dedup_key", "status", "severity", "labels", "events"}) {
    const Node* v = o.Take(k);
    if (!v) continue;
    std::string p = Obj::Scalar(c, *v, o.Key(k));
    bool ok = p.empty() || p[0] == '/';
    for (size_t i = 0; ok && i < p.size(); ++i)
      if (p[i] == '~' && (i + 1 >= p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) ok = false;
    if (!ok || p.size() > 1024)
      c.Err(*v, o.Key(k), "must be a JSON pointer (\"\" or starting with /)");
    else if (p.empty() && std::string(k) == "title")
      c.Err(*v, o.Key(k), "must not be empty");
    else
      j[k] = p;
  }
  if (o.Has("resolved_values")) j["resolved_values"] = o.StrList("resolved_values");
  o.Take("resolved_values");
  o.Finish();
  return j;
}

json ParseIntegration(Ctx& c, Obj& o) {
  json j;
  j["name"] = EntityName(o);
  std::string kind = o.Enum("kind", kIntegrationKinds, "");
  j["kind"] = kind;
  j["service"] = o.Ref("service", "services");
  j["group_by"] = o.List(
      "group_by",
      [](Ctx& c2, const Node& n, const std::string& key) -> json {
        std::string s = Obj::Scalar(c2, n, key);
        if (!IsLabelName(s)) c2.Err(n, key, "must be a label name");
        return s;
      },
      16);
  j["auto_resolve"] = o.Bool("auto_resolve", true);
  j["flap_window_seconds"] = o.Int("flap_window_seconds", 300, 0, 86400);
  const Node* iv = o.Take("heartbeat_interval_seconds");
  const Node* gr = o.Take("heartbeat_grace_seconds");
  const Node* mp = o.Take("mapping");
  j["heartbeat_interval_seconds"] = nullptr;
  j["heartbeat_grace_seconds"] = nullptr;
  j["mapping"] = nullptr;
  if (kind == "heartbeat") {
    if (!iv)
      c.Err(o.At("heartbeat_interval_seconds"), o.Key("heartbeat_interval_seconds"),
            "a heartbeat needs an interval (10-604800)");
    else if (auto v = o.AsInt(*iv, o.Key("heartbeat_interval_seconds"), 10, 7 * 86400))
      j["heartbeat_interval_seconds"] = *v;
    j["heartbeat_grace_seconds"] = 0;
    if (gr)
      if (auto v = o.AsInt(*gr, o.Key("heartbeat_grace_seconds"), 0, 86400))
        j["heartbeat_grace_seconds"] = *v;
  } else {
    if (iv) c.Err(*iv, o.Key("heartbeat_interval_seconds"), "only for kind heartbeat");
    if (gr) c.Err(*gr, o.Key("heartbeat_grace_seconds"), "only for kind heartbeat");
  }
  if (kind == "webhook")
    j["mapping"] = ParseMapping(c, mp, o.Key("mapping"));
  else if (mp)
    c.Err(*mp, o.Key("mapping"), "only for kind webhook");
  return j;
}

json ParseRole(Ctx&, Obj& o) {
  json j;
  j["name"] = EntityName(o);
  j["description"] = o.Str("description");
  j["schedule"] = o.Ref("schedule", "schedules");
  j["users"] = o.RefList("users", "users");
  return j;
}

json ParseRunbook(Ctx& c, Obj& o) {
  json j;
  j["name"] = EntityName(o);
  j["service"] = o.Ref("service", "services");
  j["title"] = o.Str("title", j["name"]);
  if (j["title"] == "") j["title"] = j["name"];
  j["symptoms"] = o.Str("symptoms");
  j["diagnosis"] = o.Str("diagnosis");
  j["body"] = o.Str("body");
  j["steps"] = o.List(
      "steps",
      [](Ctx& c2, const Node& n, const std::string& key) -> json {
        if (n.type == Node::kScalar) {
          if (n.text.empty()) c2.Err(n, key, "must not be empty");
          return {{"text", n.text}, {"action", nullptr}};
        }
        Obj s(c2, n, key);
        if (!s.valid()) return nullptr;
        json j2 = {{"text", s.Required("text")}, {"action", s.Ref("action", "actions")}};
        s.Finish();
        return j2;
      },
      200);
  j["rto"] = o.Dur("rto", kMinute);
  j["match"] = Matchers(o, "match");
  if (j["body"] == "" && j["steps"].empty())
    c.Err(o.At("steps"), o.Key("steps"), "a runbook needs steps or a body");
  return j;
}

json ParseAction(Ctx& c, Obj& o) {
  json j;
  j["name"] = EntityName(o);
  j["description"] = o.Str("description");
  j["method"] = o.Enum("method", {"GET", "POST", "PUT", "PATCH", "DELETE"}, "POST");
  std::string url = o.Required("url");
  j["url"] = url;
  if (!url.empty()) {
    if (std::string err = CheckEnvRefs(url, nullptr); !err.empty())
      c.Err(o.At("url"), o.Key("url"), err);
    else if (url.rfind("${", 0) != 0 && !IsHttpUrl(url))
      c.Err(o.At("url"), o.Key("url"), "must be an http(s) URL without user:password@");
  }
  j["headers"] = json::object();
  if (const Node* h = o.Take("headers")) {
    if (h->type != Node::kMap) {
      c.Err(*h, o.Key("headers"), "must be a mapping of header names to values");
    } else {
      std::set<std::string> seen;
      for (size_t i = 0; i < h->keys.size(); ++i) {
        const std::string& name = h->keys[i];
        std::string key = o.Key("headers") + "." + name;
        std::string value = Obj::Scalar(c, h->values[i], key);
        std::string lower;
        for (char ch : name)
          lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (!IsHeaderName(name))
          c.Err(h->values[i], key, "is not a valid header name");
        else if (!seen.insert(lower).second)
          c.Err(h->values[i], key, "header given twice");
        if (std::string err = CheckEnvRefs(value, nullptr); !err.empty())
          c.Err(h->values[i], key, err);
        else if (LooksSecret(name) && value.find("${") == std::string::npos)
          c.Err(h->values[i], key,
                "looks like a secret: take it from an environment variable, e.g. \"Bearer "
                "${ROLLBACK_TOKEN}\"");
        j["headers"][name] = value;
      }
    }
  }
  json body = o.Mustache("body");
  j["body"] = body;
  if (std::string err = CheckEnvRefs(body.get<std::string>(), nullptr); !err.empty())
    c.Err(o.At("body"), o.Key("body"), err);
  j["timeout"] = o.Dur("timeout", 100, "10s");
  if (j["timeout"].is_string() && *ParseDuration(j["timeout"].get<std::string>()) > 10 * kMinute)
    c.Err(o.At("timeout"), o.Key("timeout"), "must be at most 10m");
  j["expect_status"] = json::array();
  if (const Node* es = o.Take("expect_status")) {
    auto one = [&](const Node& n, const std::string& key) {
      if (auto v = o.AsInt(n, key, 100, 599)) j["expect_status"].push_back(*v);
    };
    if (es->type == Node::kSeq)
      for (size_t i = 0; i < es->items.size(); ++i)
        one(es->items[i], Index(o.Key("expect_status"), i));
    else
      one(*es, o.Key("expect_status"));
  }
  return j;
}

json ParseAutomationRule(Ctx& c, Obj& o) {
  json j;
  j["name"] = EntityName(o);
  j["description"] = o.Str("description");
  j["selector"] = Matchers(o, "selector");
  if (j["selector"].empty())
    c.Err(o.At("selector"), o.Key("selector"), "needs at least one label matcher");
  const Node* v = o.Take("value");
  const Node* cond = o.Take("condition");
  if (v && cond) c.Err(o.At("condition"), o.Key("condition"), "give value or condition, not both");
  if (!v && !cond)
    c.Err(o.At("value"), o.Key("value"), "is required: a threshold like \"> 0.05\" (or condition)");
  j["condition"] = nullptr;
  if (v) {
    if (v->type != Node::kScalar)
      c.Err(*v, o.Key("value"), "must be a comparison like \"> 0.05\"");
    else
      j["condition"] = ParseCondition(c, *v, o.Key("value"));
  } else if (cond) {
    j["condition"] = ParseCondition(c, *cond, o.Key("condition"));
  }
  j["for"] = o.Dur("for", 0, "0s");
  j["action"] = o.Ref("action", "actions");
  if (j["action"].is_null()) c.Err(o.At("action"), o.Key("action"), "is required");
  j["cooldown"] = o.Dur("cooldown", 0, "15m");
  j["max_runs"] = o.Int("max_runs", 1, 1, 100);
  j["enabled"] = o.Bool("enabled", true);
  return j;
}

json ParseClassificationRule(Ctx& c, Obj& o) {
  json j;
  j["name"] = EntityName(o);
  j["description"] = o.Str("description");
  j["match"] = Matchers(o, "match");
  j["conditions"] = o.List("conditions", ParseCondition, 20);
  if (const Node* v = o.Take("value")) {
    if (v->type != Node::kScalar)
      c.Err(*v, o.Key("value"), "must be a comparison like \"> 0.1\"");
    else
      j["conditions"].push_back(ParseCondition(c, *v, o.Key("value")));
  }
  j["severity"] = o.Ref("severity", "severities");
  if (j["severity"].is_null()) c.Err(o.At("severity"), o.Key("severity"), "is required");
  return j;
}

json ParseTemplate(Ctx& c, Obj& o) {
  json j;
  j["name"] = EntityName(o);
  std::string kind = o.Enum("kind", {"initial", "update", "resolution", "postmortem"}, "");
  j["kind"] = kind;
  std::vector<std::string> audiences = {"internal_chat", "stakeholder_email", "customer_email",
                                        "status_page", "document"};
  std::string audience = o.Enum("audience", audiences, kind == "postmortem" ? "document" : "");
  if (!kind.empty() && !audience.empty() && (kind == "postmortem") != (audience == "document"))
    c.Err(o.At("audience"), o.Key("audience"),
          kind == "postmortem" ? "a postmortem template's audience is document"
                               : "document is only for postmortem templates");
  j["audience"] = audience;
  j["severities"] = o.RefList("severities", "severities");
  j["subject"] = o.Mustache("subject");
  if (!o.Has("body")) c.Err(o.At("body"), o.Key("body"), "is required");
  j["body"] = o.Mustache("body");
  return j;
}

json ParseStatusComponent(Ctx&, Obj& o) {
  json j;
  j["name"] = EntityName(o);
  j["description"] = o.Str("description");
  j["group"] = o.Ref("group", "status_components");
  j["is_group"] = o.Bool("is_group", false);
  j["showcase"] = o.Bool("showcase", true);
  j["only_show_if_degraded"] = o.Bool("only_show_if_degraded", false);
  j["services"] = o.RefList("services", "services");
  return j;
}

using EntityParser = json (*)(Ctx&, Obj&);

struct KindDef {
  KindInfo info;
  EntityParser parse;
};

const std::vector<KindDef>& KindDefs() {
  static const std::vector<KindDef> defs = {
      {{"organization", "organization", ""}, nullptr},
      {{"users", "user", "username"}, ParseUser},
      {{"teams", "team", "name"}, ParseTeam},
      {{"schedules", "schedule", "name"}, ParseSchedule},
      {{"roles", "role", "name"}, ParseRole},
      {{"escalation_policies", "escalation policy", "name"}, ParsePolicy},
      {{"severities", "severity", "name"}, ParseSeverity},
      {{"services", "service", "name"}, ParseService},
      {{"integrations", "integration", "name"}, ParseIntegration},
      {{"status_components", "status component", "name"}, ParseStatusComponent},
      {{"actions", "action", "name"}, ParseAction},
      {{"runbooks", "runbook", "name"}, ParseRunbook},
      {{"automation_rules", "automation rule", "name"}, ParseAutomationRule},
      {{"classification_rules", "classification rule", "name"}, ParseClassificationRule},
      {{"templates", "template", "name"}, ParseTemplate},
  };
  return defs;
}

// --- documents -------------------------------------------------------------------------

struct RawEntity {
  json j;
  Location at;
  std::string key;  // "services[2]"
};

struct Raw {
  std::optional<RawEntity> organization;
  std::map<std::string, std::vector<RawEntity>> kinds;
};

void ParseDocument(Ctx& c, const Node& root, Raw& raw) {
  if (root.type == Node::kNull) return;
  if (root.type != Node::kMap) {
    c.Err(root, "",
          "a playbook document must be a mapping of kinds (organization, severities, services, "
          "...)");
    return;
  }
  std::vector<std::string> known;
  for (const auto& d : KindDefs()) known.emplace_back(d.info.key);
  for (size_t i = 0; i < root.keys.size(); ++i) {
    const std::string& k = root.keys[i];
    const Node& v = root.values[i];
    const KindDef* def = nullptr;
    for (const auto& d : KindDefs())
      if (d.info.key == k) def = &d;
    if (!def) {
      c.Err(root.key_marks[i].first, root.key_marks[i].second, k, UnknownKeyMessage(k, known));
      continue;
    }
    if (v.type == Node::kNull) continue;
    if (!def->parse) {  // organization
      json j = ParseOrganization(c, v, k);
      RawEntity e{j, {c.file, v.line, v.column}, k};
      if (raw.organization) {
        const Location& first = raw.organization->at;
        c.Err(v, k,
              "organization is given twice (first at " + first.file + ":" +
                  std::to_string(first.line) + ")");
      } else if (!j.is_null()) {
        raw.organization = e;
      }
      continue;
    }
    if (v.type != Node::kSeq) {
      c.Err(v, k, "must be a list of " + std::string(def->info.key));
      continue;
    }
    for (size_t n = 0; n < v.items.size(); ++n) {
      const Node& item = v.items[n];
      std::string key = Index(k, n);
      Obj o(c, item, key);
      if (!o.valid()) continue;
      json j = def->parse(c, o);
      o.Finish();
      raw.kinds[k].push_back({j, {c.file, item.line, item.column}, key});
    }
  }
}

void ParseYamlSource(Load& load, const Source& s, Raw& raw) {
  Ctx c{load, s.name};
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(s.text);
  } catch (const YAML::Exception& e) {
    int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    int col = e.mark.line >= 0 ? e.mark.column + 1 : 0;
    c.Err(line, col, "", "YAML syntax error: " + e.msg);
    return;
  }
  for (const auto& d : docs) ParseDocument(c, FromYaml(c, d, "", 0), raw);
}

// Duplicates, references and the rules that span entities.
void CheckDocument(Load& load, Raw& raw) {
  std::map<std::string, std::map<std::string, const RawEntity*>> names;
  for (const auto& def : KindDefs()) {
    if (!def.parse) continue;
    std::string kind(def.info.key);
    auto it = raw.kinds.find(kind);
    if (it == raw.kinds.end()) continue;
    auto& seen = names[kind];
    for (const RawEntity& e : it->second) {
      const json& id = e.j[std::string(def.info.id_field)];
      if (!id.is_string() || id == "") continue;
      std::string name = id.get<std::string>();
      auto [pos, inserted] = seen.emplace(name, &e);
      if (!inserted) {
        const Location& first = pos->second->at;
        load.problems.push_back(
            {e.at.file, e.at.line, e.at.column, e.key + "." + std::string(def.info.id_field),
             "duplicate " + std::string(def.info.singular) + " " + Quote(name) +
                 " (first defined at " + first.file + ":" + std::to_string(first.line) + ")"});
      }
    }
  }
  for (const RefUse& r : load.refs) {
    auto kind = names.find(r.kind);
    if (kind == names.end() || kind->second.empty()) continue;  // unmanaged: the server's
    if (kind->second.count(r.name)) continue;
    const KindInfo* info = FindKind(r.kind);
    Problem p = r.where;
    p.message = "no " + std::string(info ? info->singular : r.kind) + " named " + Quote(r.name) +
                " in the playbook";
    load.problems.push_back(p);
  }
  // At most one default escalation policy.
  const RawEntity* first_default = nullptr;
  for (const RawEntity& e : raw.kinds["escalation_policies"]) {
    if (e.j.value("default", false) != true) continue;
    if (first_default)
      load.problems.push_back({e.at.file, e.at.line, e.at.column, e.key + ".default",
                               "only one escalation policy can be the default (also " +
                                   first_default->j["name"].get<std::string>() + ")"});
    else
      first_default = &e;
  }
  // Status component groups.
  auto& comps = names["status_components"];
  for (const RawEntity& e : raw.kinds["status_components"]) {
    if (!e.j["group"].is_string()) continue;
    auto g = comps.find(e.j["group"].get<std::string>());
    std::string msg;
    if (e.j["group"] == e.j["name"])
      msg = "a component cannot be its own group";
    else if (e.j["is_group"] == true)
      msg = "a group cannot be inside another group";
    else if (g != comps.end() && g->second->j["is_group"] != true)
      msg = Quote(g->first) + " is not a group (set is_group: true on it)";
    if (!msg.empty())
      load.problems.push_back({e.at.file, e.at.line, e.at.column, e.key + ".group", msg});
  }
}

// --- typed structs from canonical JSON (trusted: it was just validated) -----------------

std::string S(const json& j) { return j.is_string() ? j.get<std::string>() : std::string(); }
std::optional<DurationMs> D(const json& j) {
  return j.is_string() ? ParseDuration(j.get<std::string>()) : std::nullopt;
}
std::vector<std::string> Strings(const json& j) {
  std::vector<std::string> out;
  for (const auto& x : j) out.push_back(S(x));
  return out;
}
std::vector<Target> TargetList(const json& j) {
  std::vector<Target> out;
  for (const auto& t : j) out.push_back({S(t["type"]), S(t["name"])});
  return out;
}
std::vector<Matcher> MatcherList(const json& j) {
  std::vector<Matcher> out;
  for (const auto& m : j) out.push_back({S(m["name"]), S(m["op"]), S(m["value"])});
  return out;
}
Condition ToCondition(const json& j) {
  Condition c;
  c.source = j.contains("label") ? "label" : "annotation";
  c.name = S(j[c.source]);
  c.op = S(j["op"]);
  c.value = j["value"].get<double>();
  return c;
}
void Base(Entity& e, const RawEntity& r, const char* id = "name") {
  e.name = S(r.j[id]);
  e.json = r.j;
  e.at = r.at;
}

Document Build(const Raw& raw) {
  Document d;
  auto list = [&raw](const char* kind) -> const std::vector<RawEntity>& {
    static const std::vector<RawEntity> kEmpty;
    auto it = raw.kinds.find(kind);
    return it == raw.kinds.end() ? kEmpty : it->second;
  };
  if (raw.organization) {
    const json& j = raw.organization->j;
    Organization o;
    Base(o, *raw.organization);
    o.time_zone = S(j["time_zone"]);
    o.war_room_pattern = S(j["war_room_pattern"]);
    const json& bc = j["business_calendar"];
    o.business_calendar.time_zone = S(bc["time_zone"]);
    for (const auto& w : bc["working_days"])
      o.business_calendar.working_days.push_back(*ParseWeekday(S(w)));
    std::string hours = S(bc["hours"]);
    o.business_calendar.start_minute = *ParseClock(hours.substr(0, 5));
    o.business_calendar.end_minute = *ParseClock(hours.substr(6), true);
    for (const auto& h : bc["holidays"])
      o.business_calendar.holidays.push_back({S(h["date"]), S(h["name"])});
    d.organization = std::move(o);
  }
  for (const auto& r : list("severities")) {
    Severity s;
    Base(s, r);
    const json& j = r.j;
    s.rank = j["rank"].get<int>();
    s.description = S(j["description"]);
    s.examples = Strings(j["examples"]);
    s.ack_target = D(j["ack_target"]);
    s.resolve_target = D(j["resolve_target"]);
    s.update_at_milestones = j["update_every"] == "milestones";
    if (!s.update_at_milestones) s.update_every = D(j["update_every"]);
    s.escalation_policy = S(j["escalation_policy"]);
    s.required_roles = Strings(j["required_roles"]);
    s.status_page = j["status_page"].get<bool>();
    s.customer_notice = j["customer_notice"].get<bool>();
    s.war_room = j["war_room"].get<bool>();
    s.review.required = j["review"]["required"].get<bool>();
    std::string deadline = S(j["review"]["deadline"]);
    if (deadline.find("business") != std::string::npos)
      s.review.deadline_business_days = std::stoi(deadline);
    else
      s.review.deadline = D(j["review"]["deadline"]);
    std::string page = S(j["page"]);
    s.page = page == "never"            ? PageMode::kNever
             : page == "business_hours" ? PageMode::kBusinessHours
                                        : PageMode::kAlways;
    s.stakeholders = TargetList(j["stakeholders"]);
    for (const auto& m : j["escalation_matrix"])
      s.escalation_matrix.push_back({*D(m["after"]), TargetList(m["notify"])});
    d.severities.push_back(std::move(s));
  }
  for (const auto& r : list("services")) {
    Service s;
    Base(s, r);
    s.description = S(r.j["description"]);
    s.owner = S(r.j["owner"]);
    s.escalation_policy = S(r.j["escalation_policy"]);
    d.services.push_back(std::move(s));
  }
  for (const auto& r : list("users")) {
    User u;
    Base(u, r, "username");
    u.full_name = S(r.j["name"]);
    u.role = S(r.j["role"]);
    u.time_zone = S(r.j["time_zone"]);
    for (const auto& m : r.j["contact_methods"])
      u.contact_methods.push_back({S(m["kind"]), S(m["address"]), S(m["label"])});
    for (const auto& n : r.j["notification_rules"])
      u.notification_rules.push_back({S(n["contact_method"]), n["delay_minutes"].get<int>()});
    d.users.push_back(std::move(u));
  }
  for (const auto& r : list("teams")) {
    Team t;
    Base(t, r);
    t.description = S(r.j["description"]);
    t.members = Strings(r.j["members"]);
    d.teams.push_back(std::move(t));
  }
  for (const auto& r : list("schedules")) {
    Schedule s;
    Base(s, r);
    s.description = S(r.j["description"]);
    s.time_zone = S(r.j["time_zone"]);
    for (const auto& l : r.j["layers"]) {
      Layer layer;
      layer.name = S(l["name"]);
      layer.users = Strings(l["users"]);
      layer.rotation_unit = S(l["rotation"]["unit"]);
      layer.rotation_length = l["rotation"]["length"].get<int>();
      layer.start_date = S(l["start_date"]);
      layer.handoff_time = S(l["handoff_time"]);
      for (const auto& w : l["restrictions"])
        layer.restrictions.push_back({*ParseWeekday(S(w["weekday"])), *ParseClock(S(w["start"])),
                                      w["duration_minutes"].get<int>()});
      s.layers.push_back(std::move(layer));
    }
    for (const auto& o : r.j["overrides"])
      s.overrides.push_back({S(o["user"]), *ParseTime(S(o["start"])), *ParseTime(S(o["end"]))});
    d.schedules.push_back(std::move(s));
  }
  for (const auto& r : list("escalation_policies")) {
    EscalationPolicy p;
    Base(p, r);
    p.description = S(r.j["description"]);
    p.repeat = r.j["repeat"].get<int>();
    p.is_default = r.j["default"].get<bool>();
    for (const auto& s : r.j["steps"])
      p.steps.push_back({s["delay_minutes"].get<int>(), TargetList(s["targets"])});
    d.escalation_policies.push_back(std::move(p));
  }
  for (const auto& r : list("integrations")) {
    Integration in;
    Base(in, r);
    in.kind = S(r.j["kind"]);
    in.service = S(r.j["service"]);
    in.group_by = Strings(r.j["group_by"]);
    in.auto_resolve = r.j["auto_resolve"].get<bool>();
    in.flap_window_seconds = r.j["flap_window_seconds"].get<int64_t>();
    if (r.j["heartbeat_interval_seconds"].is_number())
      in.heartbeat_interval_seconds = r.j["heartbeat_interval_seconds"].get<int64_t>();
    if (r.j["heartbeat_grace_seconds"].is_number())
      in.heartbeat_grace_seconds = r.j["heartbeat_grace_seconds"].get<int64_t>();
    in.mapping = r.j["mapping"];
    d.integrations.push_back(std::move(in));
  }
  for (const auto& r : list("roles")) {
    Role role;
    Base(role, r);
    role.description = S(r.j["description"]);
    role.schedule = S(r.j["schedule"]);
    role.users = Strings(r.j["users"]);
    d.roles.push_back(std::move(role));
  }
  for (const auto& r : list("runbooks")) {
    Runbook rb;
    Base(rb, r);
    rb.service = S(r.j["service"]);
    rb.title = S(r.j["title"]);
    rb.symptoms = S(r.j["symptoms"]);
    rb.diagnosis = S(r.j["diagnosis"]);
    rb.body = S(r.j["body"]);
    for (const auto& s : r.j["steps"]) rb.steps.push_back({S(s["text"]), S(s["action"])});
    rb.rto = D(r.j["rto"]);
    rb.match = MatcherList(r.j["match"]);
    d.runbooks.push_back(std::move(rb));
  }
  for (const auto& r : list("actions")) {
    Action a;
    Base(a, r);
    a.description = S(r.j["description"]);
    a.method = S(r.j["method"]);
    a.url = S(r.j["url"]);
    std::vector<std::string> env;
    (void)CheckEnvRefs(a.url, &env);
    for (auto it = r.j["headers"].begin(); it != r.j["headers"].end(); ++it) {
      a.headers.emplace_back(it.key(), S(it.value()));
      (void)CheckEnvRefs(S(it.value()), &env);
    }
    a.body = S(r.j["body"]);
    (void)CheckEnvRefs(a.body, &env);
    std::sort(env.begin(), env.end());
    env.erase(std::unique(env.begin(), env.end()), env.end());
    a.env = std::move(env);
    a.timeout = *D(r.j["timeout"]);
    for (const auto& s : r.j["expect_status"]) a.expect_status.push_back(s.get<int>());
    d.actions.push_back(std::move(a));
  }
  for (const auto& r : list("automation_rules")) {
    AutomationRule a;
    Base(a, r);
    a.description = S(r.j["description"]);
    a.selector = MatcherList(r.j["selector"]);
    a.condition = ToCondition(r.j["condition"]);
    a.for_ms = *D(r.j["for"]);
    a.action = S(r.j["action"]);
    a.cooldown = *D(r.j["cooldown"]);
    a.max_runs = r.j["max_runs"].get<int>();
    a.enabled = r.j["enabled"].get<bool>();
    d.automation_rules.push_back(std::move(a));
  }
  for (const auto& r : list("classification_rules")) {
    ClassificationRule c;
    Base(c, r);
    c.description = S(r.j["description"]);
    c.match = MatcherList(r.j["match"]);
    for (const auto& x : r.j["conditions"]) c.conditions.push_back(ToCondition(x));
    c.severity = S(r.j["severity"]);
    d.classification_rules.push_back(std::move(c));
  }
  for (const auto& r : list("templates")) {
    Template t;
    Base(t, r);
    t.kind = S(r.j["kind"]);
    t.audience = S(r.j["audience"]);
    t.severities = Strings(r.j["severities"]);
    t.subject = S(r.j["subject"]);
    t.body = S(r.j["body"]);
    d.templates.push_back(std::move(t));
  }
  for (const auto& r : list("status_components")) {
    StatusComponent s;
    Base(s, r);
    s.description = S(r.j["description"]);
    s.group = S(r.j["group"]);
    s.is_group = r.j["is_group"].get<bool>();
    s.showcase = r.j["showcase"].get<bool>();
    s.only_show_if_degraded = r.j["only_show_if_degraded"].get<bool>();
    s.services = Strings(r.j["services"]);
    d.status_components.push_back(std::move(s));
  }
  return d;
}

LoadResult Finish(Load& load, Raw& raw) {
  CheckDocument(load, raw);
  LoadResult out;
  std::stable_sort(load.problems.begin(), load.problems.end(),
                   [&load](const Problem& a, const Problem& b) {
                     size_t fa = load.file_order[a.file], fb = load.file_order[b.file];
                     if (fa != fb) return fa < fb;
                     if (a.line != b.line) return a.line < b.line;
                     return a.column < b.column;
                   });
  out.problems = std::move(load.problems);
  if (out.problems.empty()) {
    try {
      out.doc = Build(raw);
    } catch (const std::exception& e) {  // not expected: Build reads validated JSON
      out.problems.push_back({"", 0, 0, "", std::string("internal error: ") + e.what()});
    }
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------

std::string Problem::ToString() const {
  std::string s = file.empty() ? "<input>" : file;
  if (line > 0) s += ":" + std::to_string(line);
  s += ": ";
  if (!key.empty()) s += key + ": ";
  return s + message;
}

Status ProblemsToStatus(const std::vector<Problem>& problems) {
  if (problems.empty()) return Status::Ok();
  std::string message;
  std::vector<FieldError> fields;
  for (const auto& p : problems) {
    if (!message.empty()) message += "\n";
    message += p.ToString();
    std::string field = p.file + (p.line > 0 ? ":" + std::to_string(p.line) : "") +
                        (p.key.empty() ? "" : ":" + p.key);
    fields.push_back({field, p.message});
  }
  return Status(Code::kInvalidArgument, message, std::move(fields));
}

const std::vector<KindInfo>& Kinds() {
  static const std::vector<KindInfo> kinds = [] {
    std::vector<KindInfo> v;
    for (const auto& d : KindDefs()) v.push_back(d.info);
    return v;
  }();
  return kinds;
}

const KindInfo* FindKind(std::string_view key) {
  for (const auto& k : Kinds())
    if (k.key == key) return &k;
  return nullptr;
}

std::optional<DurationMs> ParseDuration(std::string_view text) {
  static const std::pair<std::string_view, DurationMs> kUnits[] = {
      {"w", kWeek}, {"d", kDay}, {"h", kHour}, {"m", kMinute}, {"s", kSecond}, {"ms", 1}};
  if (text.empty()) return std::nullopt;
  DurationMs total = 0;
  size_t next_unit = 0;  // units must come largest first, each once
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 12) return std::nullopt;
    int64_t n = 0;
    std::from_chars(text.data() + start, text.data() + i, n);
    size_t ustart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(ustart, i - ustart);
    size_t u = next_unit;
    while (u < std::size(kUnits) && kUnits[u].first != unit) ++u;
    if (u == std::size(kUnits)) return std::nullopt;
    next_unit = u + 1;
    if (n > kMaxDuration / kUnits[u].second) return std::nullopt;
    total += n * kUnits[u].second;
    if (total > kMaxDuration) return std::nullopt;
  }
  return total;
}

std::string FormatDuration(DurationMs ms) {
  if (ms <= 0) return "0s";
  static const std::pair<const char*, DurationMs> kUnits[] = {
      {"w", kWeek}, {"d", kDay}, {"h", kHour}, {"m", kMinute}, {"s", kSecond}, {"ms", 1}};
  std::string out;
  for (const auto& [unit, size] : kUnits) {
    if (ms >= size) {
      out += std::to_string(ms / size) + unit;
      ms %= size;
    }
  }
  return out;
}

std::string CheckMustache(std::string_view text) {
  std::vector<std::string> open;
  size_t i = 0;
  while ((i = text.find("{{", i)) != std::string_view::npos) {
    bool triple = text.substr(i, 3) == "{{{";
    size_t close = text.find(triple ? "}}}" : "}}", i + (triple ? 3 : 2));
    if (close == std::string_view::npos) return "unclosed {{ at character " + std::to_string(i + 1);
    std::string_view tag = text.substr(i + (triple ? 3 : 2), close - i - (triple ? 3 : 2));
    i = close + (triple ? 3 : 2);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.empty()) return "empty {{}}";
    char sigil = tag.front();
    if (sigil == '!') continue;
    if (sigil == '>') return "partials ({{> name}}) are not available";
    if (sigil == '=') return "delimiter changes ({{= =}}) are not available";
    std::string_view name = tag;
    if (std::string_view("#^/&").find(sigil) != std::string_view::npos) {
      if (triple) return "{{{" + std::string(tag) + "}}} cannot be a section";
      name.remove_prefix(1);
      while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    }
    bool ok = !name.empty();
    for (char ch : name)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' && ch != '-')
        ok = false;
    if (!ok) return "{{" + std::string(tag) + "}}: names are letters, digits, _ . and -";
    if (sigil == '#' || sigil == '^') {
      open.emplace_back(name);
    } else if (sigil == '/') {
      if (open.empty() || open.back() != name)
        return "{{/" + std::string(name) + "}} closes " +
               (open.empty() ? std::string("no open section") : "{{#" + open.back() + "}}");
      open.pop_back();
    }
  }
  if (!open.empty()) return "section {{#" + open.back() + "}} is not closed";
  return "";
}

LoadResult LoadSources(const std::vector<Source>& sources) {
  Load load;
  Raw raw;
  for (const auto& s : sources) {
    load.file_order.emplace(s.name, load.file_order.size());
    ParseYamlSource(load, s, raw);
  }
  return Finish(load, raw);
}

LoadResult LoadFiles(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<Source> sources;
  std::vector<Problem> read_problems;
  auto read = [&](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
      read_problems.push_back({path, 0, 0, "", "cannot read the file"});
      return;
    }
    std::ostringstream ss;
    ss << f.rdbuf();
    sources.push_back({path, ss.str()});
  };
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        std::string ext = entry.path().extension().string();
        if ((ext == ".yaml" || ext == ".yml") && entry.is_regular_file(ec))
          files.push_back(entry.path().filename().string());
      }
      std::sort(files.begin(), files.end());
      if (files.empty())
        read_problems.push_back({path, 0, 0, "", "the directory has no .yaml or .yml files"});
      std::string dir = path;
      while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      for (const auto& f : files) read(dir + "/" + f);
    } else if (fs::exists(path, ec)) {
      read(path);
    } else {
      read_problems.push_back({path, 0, 0, "", "no such file or directory"});
    }
  }
  LoadResult out = LoadSources(sources);
  if (!read_problems.empty()) {
    read_problems.insert(read_problems.end(), out.problems.begin(), out.problems.end());
    out.problems = std::move(read_problems);
    out.doc = Document{};
  }
  return out;
}

Result<Document> LoadPaths(const std::vector<std::string>& paths) {
  LoadResult r = LoadFiles(paths);
  if (!r.ok()) return r.status();
  return std::move(r.doc);
}

LoadResult LoadJson(const nlohmann::json& j) {
  Load load;
  Raw raw;
  Ctx c{load, "<json>"};
  load.file_order.emplace(c.file, 0);
  if (!j.is_object())
    c.Err(0, 0, "", "must be an object of kinds (organization, severities, services, ...)");
  else
    ParseDocument(c, FromJsonValue(j, 0), raw);
  return Finish(load, raw);
}

Result<Document> FromJson(const nlohmann::json& j) {
  LoadResult r = LoadJson(j);
  if (!r.ok()) return r.status();
  return std::move(r.doc);
}

}  // namespace klaxon::playbook
