// `klaxon oncall ...`, `klaxon schedule ...`, `klaxon override ...` and `klaxon policy ...`:
// who is on call, the schedules behind it, overrides, and escalation policies.
#include <string>

#include "cli/command_helpers.h"
#include "cli/handlers.h"
#include "cli/ids.h"
#include "cli/render.h"
#include "cli/session.h"
#include "cli/table.h"

namespace klaxon::cli {

namespace {

constexpr std::string_view kOnCall = "/api/v1/oncall";
constexpr std::string_view kSchedules = "/api/v1/schedules";
constexpr std::string_view kPolicies = "/api/v1/escalation-policies";

// "/api/v1/schedules/primary%20rotation" followed by `suffix` ("/oncall").
std::string ItemPath(std::string_view collection, std::string_view key,
                     std::string_view suffix = "") {
  return std::string(collection) + "/" + PathSegment(key) + std::string(suffix);
}

// The --schedule option, or nullopt after a usage error.
std::optional<std::string> ScheduleOption(Context& context, const Invocation& invocation) {
  return RequireNonEmpty(context, invocation, invocation.Get("schedule"), "--schedule");
}

// "Created schedule primary (id 3)".
std::string Done(std::string_view verb, std::string_view noun, const nlohmann::json& item) {
  return SanitizeForTerminal(std::string(verb) + " " + std::string(noun) + " " +
                             FieldText(item, "name") + " (id " + FieldText(item, "id") + ")") +
         "\n";
}

// POSTs (or PUTs) the --file body to `path` and prints `verb` and the schedule.
int SendScheduleFile(Context& context, const Invocation& invocation, std::string_view method,
                     const std::string& path, std::string_view verb) {
  const std::optional<nlohmann::json> body = ReadBodyFile(context, invocation.Get("file"));
  if (!body) return kExitError;
  return CallAndPrint(
      context, invocation, method, path, &*body,
      [verb](const nlohmann::json& schedule) { return Done(verb, "schedule", schedule); });
}

}  // namespace

int OnCallNowCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> at =
      TimeOptionText(context, invocation, "at", context.clock.Now());
  if (!at) return kExitUsage;
  if (!invocation.Has("schedule")) {
    return CallAndPrint(context, invocation, "GET", WithQuery(std::string(kOnCall), {{"at", *at}}),
                        nullptr, [](const nlohmann::json& list) {
                          return RenderItems(list, &RenderOnCallTable, "schedules");
                        });
  }
  const std::optional<std::string> schedule = ScheduleOption(context, invocation);
  if (!schedule) return kExitUsage;
  return CallAndPrint(context, invocation, "GET",
                      WithQuery(ItemPath(kSchedules, *schedule, "/oncall"), {{"at", *at}}), nullptr,
                      [](const nlohmann::json& entry) {
                        return RenderOnCallTable(nlohmann::json::array({entry}));
                      });
}

int OnCallShiftsCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> schedule = ScheduleOption(context, invocation);
  if (!schedule) return kExitUsage;
  // One "now" per command, so `--from now --to +2h` is exactly two hours.
  const TimeMs now = context.clock.Now();
  const std::optional<std::string> from = TimeOptionText(context, invocation, "from", now);
  if (!from) return kExitUsage;
  const std::optional<std::string> to = TimeOptionText(context, invocation, "to", now);
  if (!to) return kExitUsage;
  return CallAndPrint(
      context, invocation, "GET",
      WithQuery(ItemPath(kSchedules, *schedule, "/shifts"), {{"from", *from}, {"to", *to}}),
      nullptr,
      [](const nlohmann::json& list) { return RenderItems(list, &RenderShiftTable, "shifts"); });
}

int ScheduleListCommand(Context& context, const Invocation& invocation) {
  return CallAndPrint(context, invocation, "GET", std::string(kSchedules), nullptr,
                      [](const nlohmann::json& list) {
                        return RenderItems(list, &RenderScheduleTable, "schedules");
                      });
}

int ScheduleShowCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> schedule =
      RequireNonEmpty(context, invocation, invocation.args.at(0), "SCHEDULE");
  if (!schedule) return kExitUsage;
  return CallAndPrint(context, invocation, "GET", ItemPath(kSchedules, *schedule), nullptr,
                      &RenderSchedule);
}

int ScheduleCreateCommand(Context& context, const Invocation& invocation) {
  return SendScheduleFile(context, invocation, "POST", std::string(kSchedules), "Created");
}

int ScheduleReplaceCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> schedule =
      RequireNonEmpty(context, invocation, invocation.args.at(0), "SCHEDULE");
  if (!schedule) return kExitUsage;
  return SendScheduleFile(context, invocation, "PUT", ItemPath(kSchedules, *schedule), "Replaced");
}

int ScheduleDeleteCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> schedule =
      RequireNonEmpty(context, invocation, invocation.args.at(0), "SCHEDULE");
  if (!schedule) return kExitUsage;
  return CallAndPrint(context, invocation, "DELETE", ItemPath(kSchedules, *schedule), nullptr,
                      [&schedule](const nlohmann::json&) {
                        return SanitizeForTerminal("Deleted schedule " + *schedule) + "\n";
                      });
}

int OverrideListCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> schedule = ScheduleOption(context, invocation);
  if (!schedule) return kExitUsage;
  return CallAndPrint(context, invocation, "GET", ItemPath(kSchedules, *schedule, "/overrides"),
                      nullptr, [](const nlohmann::json& list) {
                        return RenderItems(list, &RenderOverrideTable,
                                           "current or future overrides");
                      });
}

int OverrideCreateCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> schedule = ScheduleOption(context, invocation);
  if (!schedule) return kExitUsage;
  const std::optional<std::string> user =
      RequireNonEmpty(context, invocation, invocation.Get("user"), "--user");
  if (!user) return kExitUsage;
  const TimeMs now = context.clock.Now();
  const std::optional<std::string> start = TimeOptionText(context, invocation, "start", now);
  if (!start) return kExitUsage;
  const std::optional<std::string> end = TimeOptionText(context, invocation, "end", now);
  if (!end) return kExitUsage;
  const nlohmann::json body = {{"user", *user}, {"start", *start}, {"end", *end}};
  return CallAndPrint(context, invocation, "POST", ItemPath(kSchedules, *schedule, "/overrides"),
                      &body, [&schedule](const nlohmann::json& entry) {
                        return SanitizeForTerminal("Created override " + FieldText(entry, "id") +
                                                   ": " + PersonName(entry, "user") + " covers " +
                                                   FormatWhen(FieldText(entry, "start")) + " to " +
                                                   FormatWhen(FieldText(entry, "end")) + " on " +
                                                   *schedule) +
                               "\n";
                      });
}

int OverrideDeleteCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> schedule = ScheduleOption(context, invocation);
  if (!schedule) return kExitUsage;
  const std::optional<int64_t> id = ParsePositiveInt(invocation.args.at(0));
  if (!id) {
    return ReportUsage(context, invocation,
                       "invalid override id '" + invocation.args.at(0) + "' (expected a number)");
  }
  return CallAndPrint(
      context, invocation, "DELETE",
      ItemPath(kSchedules, *schedule, "/overrides/" + std::to_string(*id)), nullptr,
      [&id](const nlohmann::json&) { return "Deleted override " + std::to_string(*id) + "\n"; });
}

int PolicyListCommand(Context& context, const Invocation& invocation) {
  return CallAndPrint(context, invocation, "GET", std::string(kPolicies), nullptr,
                      [](const nlohmann::json& list) {
                        return RenderItems(list, &RenderPolicyTable, "escalation policies");
                      });
}

int PolicyShowCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> policy =
      RequireNonEmpty(context, invocation, invocation.args.at(0), "POLICY");
  if (!policy) return kExitUsage;
  return CallAndPrint(context, invocation, "GET", ItemPath(kPolicies, *policy), nullptr,
                      &RenderPolicy);
}

}  // namespace klaxon::cli
