// `klaxon incident ...`: listing, showing, declaring and acting on incidents, and the
// playbook's moves during one (roles, key moments, updates, typed notes, actions).
#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "cli/command_helpers.h"
#include "cli/handlers.h"
#include "cli/ids.h"
#include "cli/render.h"
#include "cli/session.h"
#include "cli/table.h"

namespace klaxon::cli {

namespace {

constexpr std::string_view kIncidents = "/api/v1/incidents";
constexpr int kMaxPageSize = 200;
constexpr int kMaxPages = 1000;  // --all stops here even if the server keeps sending cursors.
constexpr size_t kMaxExcerptWidth = 200;  // Of an action's response, on a failed run.

// The key moments a responder marks, as the API names them, and their short forms.
struct MomentForm {
  std::string_view name;
  std::string_view short_name;
};
constexpr MomentForm kMoments[] = {
    {"root_cause_identified", "root-cause"},
    {"mitigation_started", "mitigation"},
    {"service_restored", "restored"},
};
constexpr std::string_view kMomentForms =
    "root-cause, mitigation or restored; or root_cause_identified, mitigation_started, "
    "service_restored";

// The kinds of timeline entry `incident note --type` adds, with the article they take.
struct NoteType {
  std::string_view name;
  std::string_view noun;  // "a note", "an action".
};
constexpr NoteType kNoteTypes[] = {
    {"note", "a note"},
    {"finding", "a finding"},
    {"action", "an action"},
    {"decision", "a decision"},
};

// Adds the options present in `invocation` to `body` under the same names.
void CopyOptions(const Invocation& invocation, std::initializer_list<std::string_view> names,
                 nlohmann::json& body) {
  for (std::string_view name : names) {
    if (invocation.Has(name)) body[std::string(name)] = invocation.Get(name);
  }
}

// The incident number from the first argument, or nullopt after a usage error.
std::optional<std::string> IncidentNumber(Context& context, const Invocation& invocation,
                                          int& exit_code) {
  std::optional<std::string> number = NormalizeIncidentId(invocation.args.at(0));
  if (!number) {
    exit_code = ReportUsage(context, invocation,
                            "invalid incident id '" + invocation.args.at(0) +
                                "' (expected a number like 42 or a reference like INC-42)");
  }
  return number;
}

// Sends `body` with `method` to `suffix` below incident `number` ("acknowledge",
// "roles/scribe") and prints `done(ref, response)` (or the JSON).
template <typename Done>
int IncidentCall(Context& context, const Invocation& invocation, const std::string& number,
                 std::string_view method, const std::string& suffix, const nlohmann::json& body,
                 Done done) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::string path = std::string(kIncidents) + "/" + number + "/" + suffix;
  const std::optional<nlohmann::json> response = session->Call(method, path, &body);
  if (!response) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*response);
    return kExitOk;
  }
  std::string ref = FieldText(*response, "ref");
  if (ref.empty()) ref = IncidentRef(number);
  context.out << SanitizeForTerminal(done(ref, *response)) << "\n";
  return kExitOk;
}

// POSTs `body` to the incident's `action` and prints `done(ref, response)` (or the JSON).
template <typename Done>
int IncidentAction(Context& context, const Invocation& invocation, std::string_view action,
                   const nlohmann::json& body, Done done) {
  int exit_code = kExitError;
  const std::optional<std::string> number = IncidentNumber(context, invocation, exit_code);
  if (!number) return exit_code;
  return IncidentCall(context, invocation, *number, "POST", std::string(action), body, done);
}

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// A key moment as the API names it, from its name or short form, in any case and with
// '-' or '_' between words; nullopt for anything else.
std::optional<std::string> ParseMomentArg(std::string_view text) {
  std::string given = Lowercase(text);
  std::replace(given.begin(), given.end(), '_', '-');
  for (const MomentForm& form : kMoments) {
    std::string name(form.name);
    std::replace(name.begin(), name.end(), '_', '-');
    if (given == name || given == form.short_name) return std::string(form.name);
  }
  return std::nullopt;
}

const NoteType* FindNoteType(std::string_view name) {
  for (const NoteType& type : kNoteTypes) {
    if (type.name == name) return &type;
  }
  return nullptr;
}

// The username the role response (`{"items": [{"role", "user", ...}]}`) gives `role`;
// `fallback` when it does not list it.
std::string RoleHolder(const nlohmann::json& roles, const std::string& role,
                       const std::string& fallback) {
  const nlohmann::json& items = Member(roles, "items");
  if (!items.is_array()) return fallback;
  for (const auto& item : items) {
    if (FieldText(item, "role") != role) continue;
    const std::string holder = PersonName(item, "user");
    return holder.empty() ? fallback : holder;
  }
  return fallback;
}

// "INC-42: update #1 posted; next due 2026-11-25T19:31:00Z".
std::string DescribePostedUpdate(const std::string& ref, const nlohmann::json& update) {
  std::string text = ref + ": update #" + FieldText(update, "update_number") + " posted";
  const nlohmann::json& audiences = Member(update, "audiences");
  if (audiences.is_array() &&
      std::find(audiences.begin(), audiences.end(), "stakeholders") != audiences.end()) {
    text += " (also to stakeholders)";
  }
  const std::string next = FieldText(update, "next_due_at");
  return text + (next.empty() ? "; no further update due" : "; next due " + FormatInstant(next));
}

// Whether the answer to a yes/no question is yes ("y", "yes", any case, blanks around).
bool IsYes(const std::optional<std::string>& answer) {
  if (!answer) return false;
  const size_t first = answer->find_first_not_of(" \t");
  if (first == std::string::npos) return false;
  const std::string word =
      Lowercase(answer->substr(first, answer->find_last_not_of(" \t") + 1 - first));
  return word == "y" || word == "yes";
}

// Whether the run of an action succeeded: the call completed with an expected status.
bool RanOk(const nlohmann::json& run) {
  const nlohmann::json& ok = Member(run, "ok");
  return ok.is_boolean() && ok.get<bool>();
}

// What a run of an action gave, `{"ok","http_status","duration_ms","error","excerpt"}`:
// "INC-42: rollback-checkout → 202 in 130 ms" on the output stream when it went well, else
// the error (and the start of the response) on the error stream. Returns the exit code.
int ReportActionRun(Context& context, const std::string& ref, const std::string& action,
                    const nlohmann::json& run) {
  const std::string status = FieldText(run, "http_status");
  const bool answered = !status.empty() && status != "0";
  const std::string took =
      (answered ? status + " in " : "in ") + FieldText(run, "duration_ms") + " ms";
  if (RanOk(run)) {
    context.out << SanitizeForTerminal(ref + ": " + action + " \u2192 " + took) << "\n";
    return kExitOk;
  }
  std::string error = FieldText(run, "error");
  if (error.empty()) error = "the action failed";
  ReportError(context,
              ref + ": " + action + " failed" + (answered ? " (" + took + ")" : "") + ": " + error);
  const std::string excerpt = FieldText(run, "excerpt");
  if (!excerpt.empty()) {
    context.err << "  response: " << TruncateToWidth(SanitizeForTerminal(excerpt), kMaxExcerptWidth)
                << "\n";
  }
  return kExitError;
}

// The first page of the list as the server sent it or, with --all, every page's items
// gathered into one list whose next_cursor is null. Nullopt after a reported error.
std::optional<nlohmann::json> FetchIncidents(Context& context, Session& session,
                                             const Invocation& invocation,
                                             const std::string& limit) {
  nlohmann::json items = nlohmann::json::array();
  std::string cursor;
  for (int page = 0; page < kMaxPages; ++page) {
    const std::string path =
        WithQuery(std::string(kIncidents), {{"status", invocation.Get("status")},
                                            {"severity", invocation.Get("severity")},
                                            {"service", invocation.Get("service")},
                                            {"q", invocation.Get("query")},
                                            {"limit", limit},
                                            {"cursor", cursor}});
    std::optional<nlohmann::json> response = session.Call("GET", path);
    if (!response || !invocation.Has("all")) return response;
    const auto page_items = response->find("items");
    if (page_items != response->end() && page_items->is_array()) {
      items.insert(items.end(), page_items->begin(), page_items->end());
    }
    cursor = FieldText(*response, "next_cursor");
    if (cursor.empty()) return nlohmann::json{{"items", items}, {"next_cursor", nullptr}};
  }
  context.err << "klaxon: stopped after " << kMaxPages << " pages\n";
  return nlohmann::json{{"items", items}, {"next_cursor", nullptr}};
}

}  // namespace

int IncidentListCommand(Context& context, const Invocation& invocation) {
  const bool all = invocation.Has("all");
  std::string limit = invocation.Get("limit");
  if (invocation.Has("limit") && !ParsePositiveInt(limit)) {
    return ReportUsage(context, invocation, "invalid --limit '" + limit + "' (expected 1..200)");
  }
  if (limit.empty() && all) limit = std::to_string(kMaxPageSize);
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> list = FetchIncidents(context, *session, invocation, limit);
  if (!list) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*list);
    return kExitOk;
  }
  const nlohmann::json items = list->value("items", nlohmann::json::array());
  if (items.empty()) {
    context.out << "No incidents.\n";
  } else {
    context.out << RenderIncidentTable(items, context.clock.Now());
  }
  if (!FieldText(*list, "next_cursor").empty()) {
    context.err << "(more incidents: use --all, or a larger --limit)\n";
  }
  return kExitOk;
}

int IncidentShowCommand(Context& context, const Invocation& invocation) {
  int exit_code = kExitError;
  const std::optional<std::string> number = IncidentNumber(context, invocation, exit_code);
  if (!number) return exit_code;
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::optional<nlohmann::json> incident =
      session->Call("GET", std::string(kIncidents) + "/" + *number);
  if (!incident) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*incident);
  } else {
    context.out << RenderIncident(*incident, context.clock.Now());
  }
  return kExitOk;
}

int IncidentDeclareCommand(Context& context, const Invocation& invocation) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  nlohmann::json body = nlohmann::json::object();
  CopyOptions(invocation, {"title", "severity", "service", "description", "impact"}, body);
  const std::optional<nlohmann::json> incident =
      session->Call("POST", std::string(kIncidents), &body);
  if (!incident) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*incident);
    return kExitOk;
  }
  std::string ref = FieldText(*incident, "ref");
  if (ref.empty()) ref = IncidentRef(FieldText(*incident, "id"));
  context.out << SanitizeForTerminal(ref) << "\n";
  return kExitOk;
}

int IncidentAckCommand(Context& context, const Invocation& invocation) {
  return IncidentAction(
      context, invocation, "acknowledge", nlohmann::json::object(),
      [](const std::string& ref, const nlohmann::json&) { return "Acknowledged " + ref; });
}

int IncidentStatusCommand(Context& context, const Invocation& invocation) {
  nlohmann::json body = {{"status", invocation.args.at(1)}};
  CopyOptions(invocation, {"message"}, body);
  return IncidentAction(context, invocation, "status", body,
                        [](const std::string& ref, const nlohmann::json& incident) {
                          return ref + " is now " + FieldText(incident, "status");
                        });
}

int IncidentSeverityCommand(Context& context, const Invocation& invocation) {
  nlohmann::json body = {{"severity", invocation.args.at(1)}};
  CopyOptions(invocation, {"reason"}, body);
  return IncidentAction(context, invocation, "severity", body,
                        [](const std::string& ref, const nlohmann::json& incident) {
                          return ref + " is now " + FieldText(incident, "severity");
                        });
}

int IncidentNoteCommand(Context& context, const Invocation& invocation) {
  int exit_code = kExitError;
  const std::optional<std::string> number = IncidentNumber(context, invocation, exit_code);
  if (!number) return exit_code;
  const std::string type_name = invocation.Has("type") ? invocation.Get("type") : "note";
  const NoteType* type = FindNoteType(type_name);
  if (type == nullptr) {
    return ReportUsage(
        context, invocation,
        "invalid --type '" + type_name + "' (expected note, finding, action or decision)");
  }
  nlohmann::json body = {{"text", invocation.args.at(1)}};
  // Without --type, the body older servers (which know only notes) take as well.
  if (invocation.Has("type")) body["type"] = type_name;
  return IncidentCall(context, invocation, *number, "POST", "notes", body,
                      [type](const std::string& ref, const nlohmann::json&) {
                        return "Added " + std::string(type->noun) + " to " + ref;
                      });
}

int IncidentRoleCommand(Context& context, const Invocation& invocation) {
  int exit_code = kExitError;
  const std::optional<std::string> number = IncidentNumber(context, invocation, exit_code);
  if (!number) return exit_code;
  const std::optional<std::string> role =
      RequireNonEmpty(context, invocation, invocation.args.at(1), "ROLE");
  if (!role) return kExitUsage;
  const std::string& user = invocation.args.at(2);
  const nlohmann::json body = {{"user", user}};
  return IncidentCall(context, invocation, *number, "PUT", "roles/" + PathSegment(*role), body,
                      [&](const std::string& ref, const nlohmann::json& roles) {
                        return ref + ": " + RoleHolder(roles, *role, user) + " is now " + *role;
                      });
}

int IncidentMarkCommand(Context& context, const Invocation& invocation) {
  int exit_code = kExitError;
  const std::optional<std::string> number = IncidentNumber(context, invocation, exit_code);
  if (!number) return exit_code;
  const std::optional<std::string> moment = ParseMomentArg(invocation.args.at(1));
  if (!moment) {
    return ReportUsage(context, invocation,
                       "invalid MOMENT '" + invocation.args.at(1) + "' (expected " +
                           std::string(kMomentForms) + ")");
  }
  const std::optional<std::string> at =
      TimeOptionText(context, invocation, "at", context.clock.Now());
  if (!at) return kExitUsage;
  nlohmann::json body = {{"moment", *moment}};
  if (!at->empty()) body["at"] = *at;
  CopyOptions(invocation, {"note"}, body);
  return IncidentCall(context, invocation, *number, "POST", "moments", body,
                      [](const std::string& ref, const nlohmann::json& marked) {
                        const std::string previous = FieldText(marked, "previous_at");
                        return ref + ": " + FieldText(marked, "moment") + " at " +
                               FormatInstant(FieldText(marked, "at")) +
                               (previous.empty() ? "" : " (was " + FormatInstant(previous) + ")");
                      });
}

int IncidentUpdateCommand(Context& context, const Invocation& invocation) {
  int exit_code = kExitError;
  const std::optional<std::string> number = IncidentNumber(context, invocation, exit_code);
  if (!number) return exit_code;
  nlohmann::json audiences = {"internal"};
  if (invocation.Has("stakeholders")) audiences.push_back("stakeholders");
  const nlohmann::json body = {{"text", invocation.args.at(1)}, {"audiences", audiences}};
  return IncidentCall(context, invocation, *number, "POST", "updates", body, &DescribePostedUpdate);
}

int IncidentRunActionCommand(Context& context, const Invocation& invocation) {
  int exit_code = kExitError;
  const std::optional<std::string> number = IncidentNumber(context, invocation, exit_code);
  if (!number) return exit_code;
  const std::optional<std::string> action =
      RequireNonEmpty(context, invocation, invocation.args.at(1), "ACTION");
  if (!action) return kExitUsage;
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::string ref = IncidentRef(*number);
  if (!invocation.Has("yes")) {
    const std::string question = "Run action '" + *action + "' for " + ref + "? [y/N] ";
    if (!IsYes(context.prompter.Ask(SanitizeForTerminal(question), false))) {
      return ReportError(
          context, ref + ": " + *action + " not run: not confirmed (--yes runs it without asking)");
    }
  }
  const nlohmann::json body = {{"confirm", true}};
  const std::optional<nlohmann::json> run = session->Call(
      "POST", std::string(kIncidents) + "/" + *number + "/actions/" + PathSegment(*action) + "/run",
      &body);
  if (!run) return kExitError;
  if (session->json_output()) {
    session->PrintJson(*run);
    return RanOk(*run) ? kExitOk : kExitError;
  }
  return ReportActionRun(context, ref, *action, *run);
}

int IncidentResolveCommand(Context& context, const Invocation& invocation) {
  nlohmann::json body = nlohmann::json::object();
  CopyOptions(invocation, {"summary"}, body);
  return IncidentAction(
      context, invocation, "resolve", body,
      [](const std::string& ref, const nlohmann::json&) { return "Resolved " + ref; });
}

int IncidentReopenCommand(Context& context, const Invocation& invocation) {
  nlohmann::json body = nlohmann::json::object();
  CopyOptions(invocation, {"reason"}, body);
  return IncidentAction(context, invocation, "reopen", body,
                        [](const std::string& ref, const nlohmann::json& incident) {
                          const std::string status = FieldText(incident, "status");
                          return "Reopened " + ref + (status.empty() ? "" : " (" + status + ")");
                        });
}

int IncidentEscalateCommand(Context& context, const Invocation& invocation) {
  return IncidentAction(context, invocation, "escalate", nlohmann::json::object(),
                        [](const std::string& ref, const nlohmann::json& escalation) {
                          return "Escalated " + ref + ": " + DescribeEscalation(escalation);
                        });
}

int IncidentRepageCommand(Context& context, const Invocation& invocation) {
  return IncidentAction(context, invocation, "repage", nlohmann::json::object(),
                        [](const std::string& ref, const nlohmann::json& escalation) {
                          return "Paged " + ref + " again: " + DescribeEscalation(escalation);
                        });
}

}  // namespace klaxon::cli
