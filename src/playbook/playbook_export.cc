// Export (canonical JSON, YAML) and the diff between two canonical documents.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "playbook/playbook.h"

namespace klaxon::playbook {

using json = nlohmann::json;

namespace {

template <typename T>
void AddKind(json& out, const char* key, const std::vector<T>& entities) {
  if (entities.empty()) return;
  json list = json::array();
  for (const auto& e : entities) list.push_back(e.json);
  out[key] = std::move(list);
}

// --- YAML ------------------------------------------------------------------------------

bool IsNullWord(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// A block literal reads back exactly when the text ends in one newline, does not start
// with a space or newline, and has no carriage returns, tabs or other control characters.
bool LiteralSafe(const std::string& s) {
  if (s.size() < 2 || s.back() != '\n' || s[s.size() - 2] == '\n') return false;
  if (s.front() == ' ' || s.front() == '\n') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(s[i]);
    if (ch < 0x20 && ch != '\n') return false;
    if (ch == 0x7f) return false;
    // Trailing spaces on a line survive, but keep the output tidy and unambiguous.
    if (ch == '\n' && i > 0 && s[i - 1] == ' ') return false;
  }
  return true;
}

bool PlainSafe(const std::string& s) {
  if (IsNullWord(s)) return false;
  for (char ch : s) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return s.front() != ' ' && s.back() != ' ';
}

void EmitString(YAML::Emitter& e, const std::string& s) {
  if (s.find('\n') != std::string::npos && LiteralSafe(s))
    e << YAML::Literal << s;
  else if (PlainSafe(s))
    e << s;  // the emitter quotes it when a plain scalar would read differently
  else
    e << YAML::DoubleQuoted << s;
}

std::string FormatNumber(double v) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : std::to_string(v);
}

// A one-line scalar that reads back the same inside [...] or {...}.
bool Inline(const json& x) {
  if (!x.is_primitive()) return false;
  if (!x.is_string()) return true;
  const std::string& s = x.get_ref<const std::string&>();
  return PlainSafe(s) && s.find('\n') == std::string::npos;
}

// Nested mappings of a few short scalars go on one line ({type: user, name: alice}).
bool InlineMap(const json& j) {
  if (j.size() > 4) return false;
  size_t width = 0;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!Inline(it.value())) return false;
    width += it.key().size() + it.value().dump().size() + 4;
  }
  return width <= 80;
}

void Emit(YAML::Emitter& e, const json& j, std::string_view id_field = "", bool nested = true) {
  switch (j.type()) {
    case json::value_t::object: {
      if (j.empty()) {
        e << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      if (nested && InlineMap(j)) e << YAML::Flow;
      e << YAML::BeginMap;
      std::string id(id_field);
      if (!id.empty() && j.contains(id)) {
        e << YAML::Key << id << YAML::Value;
        Emit(e, j[id]);
      }
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == id) continue;
        e << YAML::Key;
        EmitString(e, it.key());
        e << YAML::Value;
        Emit(e, it.value());
      }
      e << YAML::EndMap;
      return;
    }
    case json::value_t::array:
      if (j.empty()) {
        e << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      // Short values inline ([mon, tue]); anything structured or multi-line in blocks.
      if (std::all_of(j.begin(), j.end(), Inline)) e << YAML::Flow;
      e << YAML::BeginSeq;
      for (const auto& item : j) Emit(e, item, "name");
      e << YAML::EndSeq;
      return;
    case json::value_t::string:
      EmitString(e, j.get<std::string>());
      return;
    case json::value_t::boolean:
      e << (j.get<bool>() ? "true" : "false");
      return;
    case json::value_t::number_integer:
      e << j.get<int64_t>();
      return;
    case json::value_t::number_unsigned:
      e << j.get<uint64_t>();
      return;
    case json::value_t::number_float:
      e << FormatNumber(j.get<double>());
      return;
    default:
      e << YAML::Null;
  }
}

// --- diff ------------------------------------------------------------------------------

void Compare(const json& a, const json& b, const std::string& path, std::vector<FieldChange>& out) {
  if (a == b) return;
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
    for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
    for (const auto& k : keys) {
      json av = a.contains(k) ? a[k] : json(), bv = b.contains(k) ? b[k] : json();
      Compare(av, bv, path.empty() ? k : path + "." + k, out);
    }
    return;
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i)
      Compare(a[i], b[i], path + "[" + std::to_string(i) + "]", out);
    return;
  }
  out.push_back({path, a, b});
}

std::string Identity(const json& entity, std::string_view id_field) {
  const json& id = entity.is_object() && entity.contains(std::string(id_field))
                       ? entity[std::string(id_field)]
                       : json();
  return id.is_string() ? id.get<std::string>() : id.dump();
}

std::string ShowValue(const json& v) {
  if (v.is_null()) return "none";
  std::string s;
  if (v.is_string()) {
    s = v.get<std::string>();
    bool bare = !s.empty() && s.size() <= 60;
    for (char ch : s)
      if (static_cast<unsigned char>(ch) <= ' ' || ch == '"' || ch == ',') bare = false;
    if (bare && s != "none") return s;
  }
  s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string Subject(const Change& c) {
  const KindInfo* k = FindKind(c.kind);
  std::string kind = k ? std::string(k->singular) : c.kind;
  if (c.kind == "organization")
    return c.type == ChangeType::kUpdate ? kind : kind + " " + json(c.name).dump();
  return kind + " " + json(c.name).dump();
}

}  // namespace

nlohmann::json ToJson(const Document& doc) {
  json out = json::object();
  if (doc.organization) out["organization"] = doc.organization->json;
  AddKind(out, "severities", doc.severities);
  AddKind(out, "services", doc.services);
  AddKind(out, "users", doc.users);
  AddKind(out, "teams", doc.teams);
  AddKind(out, "schedules", doc.schedules);
  AddKind(out, "escalation_policies", doc.escalation_policies);
  AddKind(out, "integrations", doc.integrations);
  AddKind(out, "roles", doc.roles);
  AddKind(out, "runbooks", doc.runbooks);
  AddKind(out, "actions", doc.actions);
  AddKind(out, "automation_rules", doc.automation_rules);
  AddKind(out, "classification_rules", doc.classification_rules);
  AddKind(out, "templates", doc.templates);
  AddKind(out, "status_components", doc.status_components);
  return out;
}

std::string ToYaml(const Document& doc) {
  json j = ToJson(doc);
  YAML::Emitter e;
  e.SetIndent(2);
  e << YAML::Comment("Klaxon playbook (klaxon export). `klaxon apply -f` accepts it unchanged.");
  e << YAML::BeginMap;
  for (const auto& kind : Kinds()) {
    std::string key(kind.key);
    if (!j.contains(key)) continue;
    e << YAML::Key << key << YAML::Value;
    if (key == "organization") {
      Emit(e, j[key], "name", /*nested=*/false);
      continue;
    }
    e << YAML::BeginSeq;
    for (const auto& entity : j[key]) Emit(e, entity, kind.id_field, /*nested=*/false);
    e << YAML::EndSeq;
  }
  if (j.empty()) e << YAML::Key << "organization" << YAML::Value << YAML::Null;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

std::vector<Change> Diff(const nlohmann::json& current, const nlohmann::json& desired, bool prune) {
  std::vector<Change> out;
  auto get = [](const json& doc, const std::string& key) {
    return doc.is_object() && doc.contains(key) ? doc[key] : json();
  };
  for (const auto& kind : Kinds()) {
    std::string key(kind.key);
    json cur = get(current, key), want = get(desired, key);
    if (key == "organization") {
      if (want.is_null()) continue;
      Change c;
      c.kind = key;
      c.name = want.value("name", "");
      c.new_value = want;
      if (cur.is_null()) {
        c.type = ChangeType::kCreate;
      } else {
        c.old_value = cur;
        Compare(cur, want, "", c.fields);
        c.type = c.fields.empty() ? ChangeType::kUnchanged : ChangeType::kUpdate;
      }
      out.push_back(std::move(c));
      continue;
    }
    std::map<std::string, const json*> current_by_id;
    if (cur.is_array())
      for (const auto& e : cur) current_by_id.emplace(Identity(e, kind.id_field), &e);
    std::set<std::string> wanted;
    if (want.is_array()) {
      for (const auto& e : want) {
        Change c;
        c.kind = key;
        c.name = Identity(e, kind.id_field);
        c.new_value = e;
        wanted.insert(c.name);
        auto it = current_by_id.find(c.name);
        if (it == current_by_id.end()) {
          c.type = ChangeType::kCreate;
        } else {
          c.old_value = *it->second;
          Compare(*it->second, e, "", c.fields);
          c.type = c.fields.empty() ? ChangeType::kUnchanged : ChangeType::kUpdate;
        }
        out.push_back(std::move(c));
      }
    }
    if (!prune || want.is_null() || !cur.is_array()) continue;
    for (const auto& e : cur) {
      std::string id = Identity(e, kind.id_field);
      if (wanted.count(id)) continue;
      Change c;
      c.type = ChangeType::kDelete;
      c.kind = key;
      c.name = id;
      c.old_value = e;
      out.push_back(std::move(c));
    }
  }
  return out;
}

bool HasChanges(const std::vector<Change>& changes) {
  for (const auto& c : changes)
    if (c.type != ChangeType::kUnchanged) return true;
  return false;
}

std::string FormatDiff(const std::vector<Change>& changes) {
  std::string out;
  int created = 0, updated = 0, deleted = 0, unchanged = 0;
  for (const auto& c : changes) {
    switch (c.type) {
      case ChangeType::kCreate:
        ++created;
        out += "+ " + Subject(c) + "\n";
        break;
      case ChangeType::kDelete:
        ++deleted;
        out += "- " + Subject(c) + "\n";
        break;
      case ChangeType::kUpdate:
        ++updated;
        for (const auto& f : c.fields)
          out += "~ " + Subject(c) + ": " + f.path + " " + ShowValue(f.old_value) + " -> " +
                 ShowValue(f.new_value) + "\n";
        break;
      case ChangeType::kUnchanged:
        ++unchanged;
        break;
    }
  }
  if (created + updated + deleted == 0)
    return "no changes (" + std::to_string(unchanged) + " unchanged)\n";
  return out + std::to_string(created) + " to create, " + std::to_string(updated) + " to update, " +
         std::to_string(deleted) + " to delete, " + std::to_string(unchanged) + " unchanged\n";
}

}  // namespace klaxon::playbook
