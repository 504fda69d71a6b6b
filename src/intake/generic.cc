#include "intake/generic.h"

#include <optional>

#include "intake/webhook_internal.h"

namespace klaxon::intake {

namespace {

using internal::Bad;
using nlohmann::json;

// The mapping's pointer fields, in the order ToJson writes them.
constexpr std::pair<const char*, std::string GenericMapping::*> kPointerFields[] = {
    {"title", &GenericMapping::title},   {"dedup_key", &GenericMapping::dedup_key},
    {"status", &GenericMapping::status}, {"severity", &GenericMapping::severity},
    {"labels", &GenericMapping::labels}, {"events", &GenericMapping::events},
};
constexpr const char* kResolvedValues = "resolved_values";

// Room in the label set for alertname, severity and dedup_key beside the mapped labels.
constexpr size_t kMaxMappedLabels = kLimits.max_labels - 3;

// RFC 6901: "" or '/'-separated tokens in which '~' appears only as ~0 or ~1.
bool ValidPointer(std::string_view p) {
  if (p.empty()) return true;
  if (p[0] != '/') return false;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] == '~' && (i + 1 == p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
  return true;
}

// `name` as one pointer token.
std::string Escape(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string Unescape(std::string_view token) {
  std::string out;
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size()) {
      out += token[i + 1] == '1' ? '/' : '~';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

// Array indexes as RFC 6901 writes them: "0" or digits without a leading zero.
std::optional<size_t> ArrayIndex(std::string_view token, size_t size) {
  if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0'))
    return std::nullopt;
  size_t n = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  if (n >= size) return std::nullopt;
  return n;
}

// The value at valid pointer `p` in `doc`, or nullptr when there is none. Never throws.
const json* Resolve(const json& doc, std::string_view p) {
  const json* at = &doc;
  while (!p.empty()) {
    p.remove_prefix(1);  // the '/'
    size_t end = p.find('/');
    std::string token = Unescape(p.substr(0, end));
    p = end == std::string_view::npos ? std::string_view() : p.substr(end);
    if (at->is_object()) {
      auto it = at->find(token);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else if (at->is_array()) {
      auto i = ArrayIndex(token, at->size());
      if (!i) return nullptr;
      at = &(*at)[*i];
    } else {
      return nullptr;
    }
  }
  return at;
}

bool ValidLabelName(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool HttpUrl(std::string_view u) {
  auto starts = [u](std::string_view p) {
    return u.size() > p.size() && EqualsIgnoreCase(u.substr(0, p.size()), p);
  };
  return starts("http://") || starts("https://");
}

// Cuts `s` to at most `max` bytes on a character boundary, marking the cut with "…".
std::string Clip(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s + "\xE2\x80\xA6";
}

// A string, number or boolean as text; nullopt for anything else.
std::optional<std::string> ScalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return std::nullopt;
}

Status CheckPointer(const char* name, const std::string& p) {
  std::string path = std::string("/mapping/") + name;
  if (p.size() > kGenericMappingLimits.max_pointer)
    return Bad(path,
               "is longer than " + std::to_string(kGenericMappingLimits.max_pointer) + " bytes");
  if (!ValidPointer(p))
    return Bad(path, "must be a JSON pointer: \"\" or starting with '/', '~' only as ~0 or ~1");
  if (p.empty() && std::string_view(name) == "title")
    return Bad(path, "must point at the title (not \"\")");
  return Status::Ok();
}

Status CheckResolvedValues(const std::vector<std::string>& values) {
  const std::string path = std::string("/mapping/") + kResolvedValues;
  if (values.size() > kGenericMappingLimits.max_resolved_values)
    return Bad(path, "has more than " + std::to_string(kGenericMappingLimits.max_resolved_values) +
                         " values");
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].empty()) return Bad(path + "/" + std::to_string(i), "must not be empty");
    if (values[i].size() > kGenericMappingLimits.max_resolved_value)
      return Bad(
          path + "/" + std::to_string(i),
          "is longer than " + std::to_string(kGenericMappingLimits.max_resolved_value) + " bytes");
  }
  return Status::Ok();
}

Status CheckMapping(const GenericMapping& m) {
  for (const auto& [name, field] : kPointerFields)
    KLAXON_RETURN_IF_ERROR(CheckPointer(name, m.*field));
  return CheckResolvedValues(m.resolved_values);
}

// The scalar at `ptr` of event `ev` (found at `at` in the body) as text, nullopt when the
// mapping leaves it unread or the event has no value, null or "" there.
Result<std::optional<std::string>> ReadScalar(const json& ev, const std::string& at,
                                              const std::string& ptr, size_t max) {
  using Text = std::optional<std::string>;
  if (ptr.empty()) return Text();
  const json* v = Resolve(ev, ptr);
  if (v == nullptr || v->is_null()) return Text();
  Text s = ScalarText(*v);
  if (!s) return Bad(at + ptr, "must be a string, number or boolean");
  if (s->size() > max) return Bad(at + ptr, "is longer than " + std::to_string(max) + " bytes");
  if (s->empty()) return Text();
  return s;
}

Status ReadLabels(const json& ev, const std::string& at, const std::string& ptr, Labels& out) {
  if (ptr.empty()) return Status::Ok();
  const json* obj = Resolve(ev, ptr);
  if (obj == nullptr || obj->is_null()) return Status::Ok();
  const std::string path = at + ptr;
  if (!obj->is_object()) return Bad(path, "must be an object of strings");
  if (obj->size() > kMaxMappedLabels)
    return Bad(path, "has more than " + std::to_string(kMaxMappedLabels) + " entries");
  for (auto it = obj->begin(); it != obj->end(); ++it) {
    const std::string& name = it.key();
    std::string p = path + "/" + Escape(name);
    if (name.size() > kLimits.max_name)
      return Bad(p, "name is longer than " + std::to_string(kLimits.max_name) + " bytes");
    if (!ValidLabelName(name)) return Bad(p, "is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)");
    if (it->is_null()) continue;
    auto v = ScalarText(*it);
    if (!v) return Bad(p, "must be a string, number or boolean");
    if (v->size() > kLimits.max_label_value)
      return Bad(p, "is longer than " + std::to_string(kLimits.max_label_value) + " bytes");
    if (!v->empty()) out[name] = std::move(*v);  // empty label values are absent labels
  }
  return Status::Ok();
}

// The optional, unmapped extras: description and a link back to the sender.
void ReadExtras(const json& ev, NormalizedAlert& out) {
  for (const char* p : {"/description", "/message"}) {
    const json* v = Resolve(ev, p);
    if (v != nullptr && v->is_string() && !v->get_ref<const std::string&>().empty()) {
      out.annotations["description"] = Clip(v->get<std::string>(), kLimits.max_annotation);
      break;
    }
  }
  for (const char* p : {"/url", "/link"}) {
    const json* v = Resolve(ev, p);
    if (v == nullptr || !v->is_string()) continue;
    const std::string& u = v->get_ref<const std::string&>();
    if (u.size() <= kLimits.max_url && HttpUrl(u)) {  // never a javascript: link
      out.generator_url = u;
      break;
    }
  }
}

Result<NormalizedAlert> ReadEvent(const json& ev, const std::string& at, const GenericMapping& m,
                                  TimeMs now) {
  if (!ev.is_object()) return Bad(at.empty() ? "/" : at, "must be an object");
  NormalizedAlert out;
  out.starts_at = now;

  const std::string title_path = at + m.title;
  const json* title = Resolve(ev, m.title);
  if (title == nullptr || title->is_null()) return Bad(title_path, "is required");
  if (!title->is_string()) return Bad(title_path, "must be a string");
  const std::string& t = title->get_ref<const std::string&>();
  if (t.empty()) return Bad(title_path, "must not be empty");
  if (t.size() > kLimits.max_label_value)
    return Bad(title_path, "is longer than " + std::to_string(kLimits.max_label_value) + " bytes");

  KLAXON_RETURN_IF_ERROR(ReadLabels(ev, at, m.labels, out.labels));
  KLAXON_ASSIGN_OR_RETURN(auto severity, ReadScalar(ev, at, m.severity, kLimits.max_label_value));
  KLAXON_ASSIGN_OR_RETURN(auto status, ReadScalar(ev, at, m.status, kLimits.max_label_value));
  KLAXON_ASSIGN_OR_RETURN(auto dedup_key, ReadScalar(ev, at, m.dedup_key, kLimits.max_label_value));

  out.labels.emplace("alertname", t);  // the mapped labels' own alertname wins
  if (severity) out.labels["severity"] = *severity;
  if (dedup_key) out.labels["dedup_key"] = *dedup_key;
  out.fingerprint = dedup_key ? Fingerprint({{"dedup_key", *dedup_key}}) : Fingerprint(out.labels);

  out.annotations["summary"] = t;
  out.annotations["payload"] =
      Clip(ev.dump(-1, ' ', false, json::error_handler_t::replace), kLimits.max_annotation);
  ReadExtras(ev, out);

  if (status)
    for (const std::string& r : m.resolved_values)
      if (EqualsIgnoreCase(*status, r)) out.firing = false;
  if (!out.firing) out.ends_at = now;
  return out;
}

// The events of `doc` and the pointer their indexes hang from; nullptr for a single event.
struct Events {
  const json* list = nullptr;
  std::string path;
};

Result<Events> FindEvents(const json& doc, const GenericMapping& m) {
  if (!doc.is_object() && !doc.is_array())
    return Bad("/", "must be a JSON object or an array of objects");
  if (m.events.empty()) return Events{doc.is_array() ? &doc : nullptr, ""};
  const json* list = Resolve(doc, m.events);
  if (list == nullptr || !list->is_array())
    return Bad(m.events, "is required and must be an array of events");
  return Events{list, m.events};
}

}  // namespace

json GenericMapping::ToJson() const {
  json j = json::object();
  for (const auto& [name, field] : kPointerFields) j[name] = this->*field;
  j[kResolvedValues] = resolved_values;
  return j;
}

Result<GenericMapping> GenericMapping::FromJson(const json& j) {
  if (!j.is_object()) return Bad("/mapping", "must be an object");
  GenericMapping m;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string path = "/mapping/" + Escape(it.key());
    if (it.key() == kResolvedValues) {
      if (!it->is_array()) return Bad(path, "must be an array of strings");
      m.resolved_values.clear();
      for (size_t i = 0; i < it->size(); ++i) {
        const json& v = (*it)[i];
        if (!v.is_string()) return Bad(path + "/" + std::to_string(i), "must be a string");
        m.resolved_values.push_back(v.get<std::string>());
        if (m.resolved_values.size() > kGenericMappingLimits.max_resolved_values) break;
      }
      continue;
    }
    std::string GenericMapping::*field = nullptr;
    for (const auto& [name, f] : kPointerFields)
      if (it.key() == name) field = f;
    if (field == nullptr) return Bad(path, "is not a mapping key");
    if (!it->is_string()) return Bad(path, "must be a string (a JSON pointer)");
    m.*field = it->get<std::string>();
  }
  KLAXON_RETURN_IF_ERROR(CheckMapping(m));
  return m;
}

Result<std::vector<NormalizedAlert>> ParseGenericWebhook(std::string_view body,
                                                         const GenericMapping& m, TimeMs now) {
  KLAXON_RETURN_IF_ERROR(CheckMapping(m));
  auto doc = internal::ParseBody(body);
  if (!doc.ok()) return doc.status();
  KLAXON_ASSIGN_OR_RETURN(Events events, FindEvents(*doc, m));
  if (events.list == nullptr) {
    KLAXON_ASSIGN_OR_RETURN(NormalizedAlert a, ReadEvent(*doc, "", m, now));
    return std::vector<NormalizedAlert>{std::move(a)};
  }
  if (events.list->size() > kLimits.max_alerts)
    return Status(Code::kTooLarge,
                  "more than " + std::to_string(kLimits.max_alerts) + " events in one request",
                  {{events.path.empty() ? "/" : events.path, "too many events"}});
  std::vector<NormalizedAlert> out;
  out.reserve(events.list->size());
  for (size_t i = 0; i < events.list->size(); ++i) {
    KLAXON_ASSIGN_OR_RETURN(
        NormalizedAlert a,
        ReadEvent((*events.list)[i], events.path + "/" + std::to_string(i), m, now));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace klaxon::intake
