// The route table and the OpenAPI document generated from it.
#include "api/api.h"

namespace klaxon::api {

namespace {
using auth::Role;
using nlohmann::json;

json Str(int min, int max) { return {{"type", "string"}, {"minLength", min}, {"maxLength", max}}; }
json Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }
json ListOf(const std::string& name) {
  return {{"type", "object"},
          {"properties",
           {{"items", {{"type", "array"}, {"items", Ref(name)}}},
            {"next_cursor", {{"type", "string"}, {"nullable", true}}}}}};
}
json Obj(json props, json required = json::array()) {
  return {{"type", "object"},
          {"properties", std::move(props)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}
json RoleEnum() { return {{"type", "string"}, {"enum", {"viewer", "responder", "admin"}}}; }
json StatusEnum() {
  return {{"type", "string"},
          {"enum",
           {"triggered", "acknowledged", "investigating", "identified", "monitoring", "resolved"}}};
}

}  // namespace

void Api::BuildRoutes() {
  const json kEmpty = Obj(json::object());
  routes_ = {
      {"POST", "/api/v1/auth/login", Role::kNone,
       "Log in: a console session, or an API token with token_name", "auth",
       Obj({{"username", Str(1, 64)}, {"password", Str(1, 1024)}, {"token_name", Str(1, 100)}},
           {"username", "password"}),
       200, Ref("Login"), &Api::Login},
      {"POST", "/api/v1/auth/logout", Role::kViewer, "End the console session", "auth", kEmpty, 204,
       nullptr, &Api::Logout},
      {"GET", "/api/v1/auth/me", Role::kViewer, "Who am I", "auth", nullptr, 200, Ref("Me"),
       &Api::Me},
      {"GET", "/api/v1/tokens", Role::kAdmin, "List API tokens (never their secrets)", "auth",
       nullptr, 200, ListOf("Token"), &Api::ListTokens},
      {"POST", "/api/v1/tokens", Role::kAdmin, "Issue an API token (the secret is shown once)",
       "auth", Obj({{"name", Str(1, 100)}, {"role", RoleEnum()}}, {"name", "role"}), 201,
       Ref("IssuedToken"), &Api::CreateToken},
      {"DELETE", "/api/v1/tokens/{id}", Role::kAdmin, "Revoke an API token", "auth", nullptr, 204,
       nullptr, &Api::RevokeToken},
      {"GET", "/api/v1/users", Role::kViewer, "List users", "users", nullptr, 200, ListOf("User"),
       &Api::ListUsers},
      {"POST", "/api/v1/users", Role::kAdmin, "Create a user", "users",
       Obj({{"username", Str(1, 64)},
            {"name", Str(0, 200)},
            {"role", RoleEnum()},
            {"password", Str(8, 1024)}},
           {"username", "role", "password"}),
       201, Ref("User"), &Api::CreateUser},
      {"GET", "/api/v1/severities", Role::kViewer, "The severity scheme", "incidents", nullptr, 200,
       ListOf("Severity"), &Api::ListSeverities},
      {"GET", "/api/v1/services", Role::kViewer, "List services", "services", nullptr, 200,
       ListOf("Service"), &Api::ListServices},
      {"POST", "/api/v1/services", Role::kAdmin, "Add a service", "services",
       Obj({{"name", Str(1, 100)}, {"description", Str(0, 10000)}, {"owner", Str(0, 200)}},
           {"name"}),
       201, Ref("Service"), &Api::CreateService},
      {"GET", "/api/v1/services/{id}", Role::kViewer, "Get a service", "services", nullptr, 200,
       Ref("Service"), &Api::GetService},
      {"GET", "/api/v1/incidents", Role::kViewer,
       "List incidents, newest first (filters: status|open, severity, service, q; cursor pages)",
       "incidents", nullptr, 200, ListOf("Incident"), &Api::ListIncidents},
      {"POST", "/api/v1/incidents", Role::kResponder, "Declare an incident", "incidents",
       Obj({{"title", Str(1, 200)},
            {"severity", {{"type", "string"}}},
            {"service", {{"description", "service id (integer) or name (string)"}}},
            {"description", Str(0, 10000)},
            {"impact", Str(0, 10000)}},
           {"title"}),
       201, Ref("Incident"), &Api::DeclareIncident},
      {"GET", "/api/v1/incidents/{id}", Role::kViewer, "Get an incident with its timeline",
       "incidents", nullptr, 200, Ref("IncidentWithTimeline"), &Api::GetIncident},
      {"POST", "/api/v1/incidents/{id}/acknowledge", Role::kResponder, "Acknowledge", "incidents",
       kEmpty, 200, Ref("Incident"), &Api::AcknowledgeIncident},
      {"POST", "/api/v1/incidents/{id}/status", Role::kResponder, "Change status", "incidents",
       Obj({{"status", StatusEnum()}, {"message", Str(0, 10000)}}, {"status"}), 200,
       Ref("Incident"), &Api::ChangeStatus},
      {"POST", "/api/v1/incidents/{id}/severity", Role::kResponder, "Change severity", "incidents",
       Obj({{"severity", {{"type", "string"}}}, {"reason", Str(0, 10000)}}, {"severity"}), 200,
       Ref("Incident"), &Api::ChangeSeverity},
      {"POST", "/api/v1/incidents/{id}/notes", Role::kResponder, "Add a note to the timeline",
       "incidents", Obj({{"text", Str(1, 10000)}}, {"text"}), 201, Ref("Event"), &Api::AddNote},
      {"POST", "/api/v1/incidents/{id}/resolve", Role::kResponder, "Resolve with a summary",
       "incidents", Obj({{"summary", Str(0, 10000)}}), 200, Ref("Incident"), &Api::ResolveIncident},
      {"POST", "/api/v1/incidents/{id}/reopen", Role::kResponder, "Reopen a resolved incident",
       "incidents", Obj({{"reason", Str(0, 10000)}}), 200, Ref("Incident"), &Api::ReopenIncident},
      {"GET", "/api/v1/events", Role::kViewer, "The event log (audit log), oldest first", "events",
       nullptr, 200, ListOf("Event"), &Api::ListEvents},
      {"GET",
       "/api/v1/events/stream",
       Role::kViewer,
       "Live events as server-sent events; resumes after Last-Event-ID",
       "events",
       nullptr,
       200,
       {{"type", "string"}, {"description", "text/event-stream"}},
       &Api::StreamEvents},
      {"GET", "/api/v1/admin/clock", Role::kAdmin, "The server's clock", "admin", nullptr, 200,
       Ref("Clock"), &Api::GetClock},
      {"POST", "/api/v1/admin/clock/advance", Role::kAdmin,
       "Move the manual clock forward (only with --clock manual)", "admin",
       Obj({{"seconds", {{"type", "integer"}, {"minimum", 0}, {"maximum", 31536000}}}},
           {"seconds"}),
       200, Ref("Clock"), &Api::AdvanceClock},
      {"GET", "/api/v1/integrations", Role::kAdmin, "List intake integrations (with keys and URLs)",
       "integrations", nullptr, 200, ListOf("Integration"), &Api::ListIntegrations},
      {"POST", "/api/v1/integrations", Role::kAdmin, "Create an intake integration", "integrations",
       Obj({{"name", Str(1, 100)},
            {"kind",
             {{"type", "string"},
              {"enum", {"alertmanager", "prometheus", "pagerduty", "grafana"}}}},
            {"service", {{"description", "service id (integer) or name (string) the alerts feed"}}},
            {"group_by", {{"type", "array"}, {"maxItems", 16}, {"items", Str(1, 256)}}},
            {"auto_resolve", {{"type", "boolean"}}},
            {"flap_window_seconds", {{"type", "integer"}, {"minimum", 0}, {"maximum", 86400}}}},
           {"name", "kind"}),
       201, Ref("Integration"), &Api::CreateIntegration},
      {"GET", "/api/v1/integrations/{id}", Role::kAdmin, "Get an integration", "integrations",
       nullptr, 200, Ref("Integration"), &Api::GetIntegration},
      {"DELETE", "/api/v1/integrations/{id}", Role::kAdmin, "Revoke an integration's key",
       "integrations", nullptr, 204, nullptr, &Api::RevokeIntegration},
      {"GET", "/api/v1/incidents/{id}/alerts", Role::kViewer, "The alerts grouped into an incident",
       "incidents", nullptr, 200, ListOf("Alert"), &Api::ListIncidentAlerts},
      {"GET", "/api/v1/alerts", Role::kViewer, "Recent alerts (?status=firing|resolved|silenced)",
       "alerts", nullptr, 200, ListOf("Alert"), &Api::ListAlerts},
      {"GET", "/api/v1/silences", Role::kViewer, "Silences, newest first", "alerts", nullptr, 200,
       ListOf("Silence"), &Api::ListSilences},
      {"POST", "/api/v1/silences", Role::kResponder,
       "Silence alerts matching label matchers (=, !=, =~, !~) for a time", "alerts",
       Obj({{"matchers",
             {{"type", "array"},
              {"maxItems", 32},
              {"items",
               {{"type", "object"},
                {"properties",
                 {{"name", Str(1, 256)},
                  {"op", {{"type", "string"}, {"enum", {"=", "!=", "=~", "!~"}}}},
                  {"value", Str(0, 1000)}}},
                {"required", {"name", "value"}},
                {"additionalProperties", false}}}}},
            {"starts_at", {{"type", "string"}, {"format", "date-time"}}},
            {"ends_at", {{"type", "string"}, {"format", "date-time"}}},
            {"duration_minutes", {{"type", "integer"}, {"minimum", 1}, {"maximum", 525600}}},
            {"comment", Str(0, 2000)}},
           {"matchers"}),
       201, Ref("Silence"), &Api::CreateSilence},
      {"DELETE", "/api/v1/silences/{id}", Role::kResponder, "End a silence now", "alerts", nullptr,
       204, nullptr, &Api::ExpireSilence},
      {"GET", "/api/v1/maintenance", Role::kViewer, "Maintenance windows", "alerts", nullptr, 200,
       ListOf("MaintenanceWindow"), &Api::ListMaintenance},
      {"POST", "/api/v1/maintenance", Role::kResponder,
       "Schedule a maintenance window for a service: one-off or weekly in a time zone", "alerts",
       Obj({{"service", {{"description", "service id (integer) or name (string)"}}},
            {"name", Str(1, 200)},
            {"starts_at", {{"type", "string"}, {"format", "date-time"}}},
            {"ends_at", {{"type", "string"}, {"format", "date-time"}}},
            {"weekdays",
             {{"type", "array"},
              {"maxItems", 7},
              {"items",
               {{"type", "string"}, {"enum", {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}}}}}},
            {"start", {{"type", "string"}, {"description", "HH:MM local time"}}},
            {"duration_minutes", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10080}}},
            {"time_zone", Str(1, 64)}},
           {"service", "name"}),
       201, Ref("MaintenanceWindow"), &Api::CreateMaintenance},
      {"DELETE", "/api/v1/maintenance/{id}", Role::kResponder, "Cancel a maintenance window",
       "alerts", nullptr, 204, nullptr, &Api::CancelMaintenance},
      {"GET",
       "/api/v1/openapi.json",
       Role::kViewer,
       "This document",
       "meta",
       nullptr,
       200,
       {{"type", "object"}},
       &Api::GetOpenApi},
  };
  for (const auto& r : routes_) router_.Add(r.method, r.path);
}

json Api::OpenApi() const {
  json ts = {{"type", "string"}, {"format", "date-time"}};
  json nts = {{"type", "string"}, {"format", "date-time"}, {"nullable", true}};
  json user = {{"type", "object"},
               {"properties",
                {{"id", {{"type", "integer"}}},
                 {"username", {{"type", "string"}}},
                 {"name", {{"type", "string"}}},
                 {"role", RoleEnum()},
                 {"created_at", ts}}}};
  json incident = {{"type", "object"},
                   {"properties",
                    {{"id", {{"type", "integer"}}},
                     {"ref", {{"type", "string"}, {"example", "INC-42"}}},
                     {"title", {{"type", "string"}}},
                     {"description", {{"type", "string"}}},
                     {"impact", {{"type", "string"}}},
                     {"severity", {{"type", "string"}}},
                     {"status",
                      {{"type", "string"},
                       {"enum",
                        {"triggered", "acknowledged", "investigating", "identified", "monitoring",
                         "resolved"}}}},
                     {"service", {{"type", "object"}, {"nullable", true}}},
                     {"created_at", ts},
                     {"updated_at", ts},
                     {"acknowledged_at", nts},
                     {"resolved_at", nts},
                     {"created_by", {{"type", "string"}}},
                     {"resolution_summary", {{"type", "string"}}}}}};
  json with_timeline = incident;
  with_timeline["properties"]["timeline"] = {{"type", "array"}, {"items", Ref("Event")}};
  json schemas = {
      {"User", user},
      {"Me",
       {{"type", "object"},
        {"properties",
         {{"user", Ref("User")}, {"csrf_token", {{"type", "string"}, {"nullable", true}}}}}}},
      {"Login",
       {{"type", "object"},
        {"properties",
         {{"user", Ref("User")},
          {"csrf_token", {{"type", "string"}}},
          {"token", {{"type", "string"}}}}}}},
      {"Token",
       {{"type", "object"},
        {"properties",
         {{"id", {{"type", "integer"}}},
          {"name", {{"type", "string"}}},
          {"role", RoleEnum()},
          {"user", {{"type", "string"}}},
          {"created_at", ts},
          {"last_used_at", nts},
          {"revoked_at", nts}}}}},
      {"IssuedToken",
       {{"type", "object"},
        {"properties",
         {{"id", {{"type", "integer"}}},
          {"name", {{"type", "string"}}},
          {"role", RoleEnum()},
          {"token", {{"type", "string"}, {"description", "shown once"}}},
          {"created_at", ts}}}}},
      {"Severity",
       {{"type", "object"},
        {"properties",
         {{"name", {{"type", "string"}}},
          {"rank", {{"type", "integer"}}},
          {"description", {{"type", "string"}}}}}}},
      {"Service",
       {{"type", "object"},
        {"properties",
         {{"id", {{"type", "integer"}}},
          {"name", {{"type", "string"}}},
          {"description", {{"type", "string"}}},
          {"owner", {{"type", "string"}}},
          {"created_at", ts}}}}},
      {"Incident", incident},
      {"IncidentWithTimeline", with_timeline},
      {"Event",
       {{"type", "object"},
        {"properties",
         {{"seq", {{"type", "integer"}}},
          {"at", ts},
          {"kind", {{"type", "string"}}},
          {"actor", {{"type", "object"}}},
          {"incident_id", {{"type", "integer"}, {"nullable", true}}},
          {"data", {{"type", "object"}}}}}}},
      {"Clock",
       {{"type", "object"},
        {"properties",
         {{"now", ts}, {"mode", {{"type", "string"}, {"enum", {"system", "manual"}}}}}}}},
      {"Integration",
       {{"type", "object"},
        {"properties",
         {{"id", {{"type", "integer"}}},
          {"name", {{"type", "string"}}},
          {"kind", {{"type", "string"}}},
          {"key", {{"type", "string"}}},
          {"service_id", {{"type", "integer"}, {"nullable", true}}},
          {"group_by", {{"type", "array"}, {"items", {{"type", "string"}}}}},
          {"auto_resolve", {{"type", "boolean"}}},
          {"flap_window_seconds", {{"type", "integer"}}},
          {"created_at", ts},
          {"revoked_at", nts},
          {"urls", {{"type", "object"}}}}}}},
      {"Alert",
       {{"type", "object"},
        {"properties",
         {{"id", {{"type", "integer"}}},
          {"fingerprint", {{"type", "string"}}},
          {"status", {{"type", "string"}, {"enum", {"firing", "resolved"}}}},
          {"labels", {{"type", "object"}}},
          {"annotations", {{"type", "object"}}},
          {"generator_url", {{"type", "string"}}},
          {"starts_at", ts},
          {"ends_at", nts},
          {"first_seen", ts},
          {"last_seen", ts},
          {"count", {{"type", "integer"}}},
          {"integration", {{"type", "string"}}}}}}},
      {"Silence",
       {{"type", "object"},
        {"properties",
         {{"id", {{"type", "integer"}}},
          {"matchers", {{"type", "array"}, {"items", {{"type", "object"}}}}},
          {"starts_at", ts},
          {"ends_at", ts},
          {"created_by", {{"type", "string"}}},
          {"comment", {{"type", "string"}}},
          {"state", {{"type", "string"}, {"enum", {"pending", "active", "expired"}}}}}}}},
      {"MaintenanceWindow",
       {{"type", "object"},
        {"properties",
         {{"id", {{"type", "integer"}}},
          {"service_id", {{"type", "integer"}}},
          {"name", {{"type", "string"}}},
          {"active", {{"type", "boolean"}}},
          {"starts_at", ts},
          {"ends_at", ts},
          {"weekdays", {{"type", "array"}, {"items", {{"type", "string"}}}}},
          {"start", {{"type", "string"}}},
          {"duration_minutes", {{"type", "integer"}}},
          {"time_zone", {{"type", "string"}}},
          {"next_start", nts}}}}},
      {"Problem",
       {{"type", "object"},
        {"properties",
         {{"type", {{"type", "string"}}},
          {"title", {{"type", "string"}}},
          {"status", {{"type", "integer"}}},
          {"detail", {{"type", "string"}}},
          {"errors",
           {{"type", "array"},
            {"items",
             {{"type", "object"},
              {"properties",
               {{"field", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}},
          {"request_id", {{"type", "string"}}}}}}},
  };
  json paths = json::object();
  auto problem = [](const char* what) {
    return json{{"description", what},
                {"content", {{"application/problem+json", {{"schema", Ref("Problem")}}}}}};
  };
  for (const auto& r : routes_) {
    json op = {{"summary", r.summary},
               {"operationId", r.method + " " + r.path},
               {"tags", {r.tag}},
               {"x-klaxon-role", auth::RoleName(r.role)}};
    json params = json::array();
    if (r.path.find("{id}") != std::string::npos)
      params.push_back(
          {{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    if (!params.empty()) op["parameters"] = params;
    if (r.role == Role::kNone)
      op["security"] = json::array();
    else
      op["security"] = {{{"bearer", json::array()}}, {{"session", json::array()}}};
    if (!r.request_schema.is_null())
      op["requestBody"] = {{"required", r.request_schema.contains("required") &&
                                            !r.request_schema["required"].empty()},
                           {"content", {{"application/json", {{"schema", r.request_schema}}}}}};
    json responses = json::object();
    json ok = {{"description", "success"}};
    if (!r.response_schema.is_null())
      ok["content"] = {{r.path.ends_with("/stream") ? "text/event-stream" : "application/json",
                        {{"schema", r.response_schema}}}};
    responses[std::to_string(r.success_status)] = ok;
    if (r.role != Role::kNone) {
      responses["401"] = problem("no or bad credentials");
      responses["403"] = problem("role too low, or CSRF token missing");
    }
    if (r.path.find("{id}") != std::string::npos) responses["404"] = problem("unknown id");
    if (!r.request_schema.is_null()) {
      responses["400"] = problem("malformed JSON");
      responses["413"] = problem("body too large");
      responses["415"] = problem("not application/json");
      responses["422"] = problem("invalid fields");
    }
    if (r.method == "POST" && r.role != Role::kNone) responses["409"] = problem("conflict");
    op["responses"] = responses;
    std::string method = r.method;
    for (auto& ch : method) ch = static_cast<char>(std::tolower(ch));
    paths[r.path][method] = op;
  }
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "Klaxon API"},
            {"version", "1"},
            {"description", "Self-hosted incident response. See docs/api.md."}}},
          {"paths", paths},
          {"components",
           {{"schemas", schemas},
            {"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
              {"session", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "klaxon_session"}}}}}}}};
}

}  // namespace klaxon::api
