#include "api/schema.h"

#include "core/json_parse.h"

namespace klaxon::api {

namespace {

std::string TypeOf(const nlohmann::json& v) {
  if (v.is_object()) return "object";
  if (v.is_array()) return "array";
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  return "null";
}

bool TypeMatches(const std::string& want, const nlohmann::json& v) {
  if (want == "number") return v.is_number();
  if (want == "integer") return v.is_number_integer() || v.is_number_unsigned();
  return TypeOf(v) == want;
}

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

void Check(const nlohmann::json& schema, const nlohmann::json& v, const std::string& path,
           std::vector<FieldError>& errs) {
  std::string type = schema.value("type", "");
  if (!type.empty() && !TypeMatches(type, v)) {
    errs.push_back(
        {path.empty() ? "/" : path,
         "must be " + std::string(type == "integer" ? "an " : "a ") + type + ", got " + TypeOf(v)});
    return;
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"]) found = found || e == v;
    if (!found) {
      std::string opts;
      for (const auto& e : schema["enum"])
        opts += (opts.empty() ? "" : ", ") + e.get<std::string>();
      errs.push_back({path, "must be one of: " + opts});
    }
  }
  if (v.is_string()) {
    size_t len = Utf8Length(v.get_ref<const std::string&>());
    if (schema.contains("minLength") && len < schema["minLength"].get<size_t>())
      errs.push_back(
          {path, schema["minLength"].get<size_t>() == 1
                     ? std::string("must not be empty")
                     : "must be at least " + schema["minLength"].dump() + " characters"});
    if (schema.contains("maxLength") && len > schema["maxLength"].get<size_t>())
      errs.push_back({path, "must be at most " + schema["maxLength"].dump() + " characters"});
  }
  if (v.is_number()) {
    double d = v.get<double>();
    if (schema.contains("minimum") && d < schema["minimum"].get<double>())
      errs.push_back({path, "must be at least " + schema["minimum"].dump()});
    if (schema.contains("maximum") && d > schema["maximum"].get<double>())
      errs.push_back({path, "must be at most " + schema["maximum"].dump()});
  }
  if (v.is_array() && schema.contains("items")) {
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<size_t>())
      errs.push_back({path, "must have at most " + schema["maxItems"].dump() + " items"});
    for (size_t i = 0; i < v.size(); ++i)
      Check(schema["items"], v[i], path + "/" + std::to_string(i), errs);
  }
  if (v.is_object() && schema.contains("properties")) {
    const auto& props = schema["properties"];
    for (const auto& r : schema.value("required", nlohmann::json::array())) {
      std::string name = r.get<std::string>();
      if (!v.contains(name) || v[name].is_null())
        errs.push_back({path + "/" + name, "is required"});
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string p = path + "/" + it.key();
      if (!props.contains(it.key())) {
        if (schema.value("additionalProperties", false) == false)
          errs.push_back({p, "is not a known field"});
        continue;
      }
      if (it.value().is_null()) continue;  // null = absent for optional fields
      Check(props[it.key()], it.value(), p, errs);
    }
  }
}

}  // namespace

Status ValidateBody(const nlohmann::json& schema, const nlohmann::json& value) {
  std::vector<FieldError> errs;
  Check(schema, value, "", errs);
  if (errs.empty()) return Status::Ok();
  std::string detail = "request body is invalid: ";
  for (size_t i = 0; i < errs.size(); ++i)
    detail += (i ? "; " : "") + errs[i].field + " " + errs[i].message;
  return Invalid(detail, std::move(errs));
}

Result<nlohmann::json> ParseJsonBody(const std::string& body, bool allow_empty) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (allow_empty) return nlohmann::json::object();
    return BadRequest("request body is empty; a JSON object is expected");
  }
  return ParseJson(body);
}

}  // namespace klaxon::api
