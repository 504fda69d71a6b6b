// `klaxon notify ...`: a user's contact methods and notification rules, test messages and
// verification, and the notifications Klaxon has sent (or failed to send).
#include <string>

#include "cli/handlers.h"
#include "cli/ids.h"
#include "cli/render.h"
#include "cli/session.h"
#include "cli/table.h"
#include "core/numbers.h"

namespace klaxon::cli {

namespace {

constexpr std::string_view kUsers = "/api/v1/users";
constexpr std::string_view kNotifications = "/api/v1/notifications";

// "/api/v1/users/<--user or me><suffix>"; nullopt after a usage error.
std::optional<std::string> UserPath(Context& context, const Invocation& invocation,
                                    std::string_view suffix = "") {
  std::optional<std::string> user = "me";
  if (invocation.Has("user")) {
    user = RequireNonEmpty(context, invocation, invocation.Get("user"), "--user");
    if (!user) return std::nullopt;
  }
  return std::string(kUsers) + "/" + PathSegment(*user) + std::string(suffix);
}

// " --user alice" when the command was given one, for the hints we print.
std::string UserFlag(const Invocation& invocation) {
  return invocation.Has("user") ? " --user " + invocation.Get("user") : "";
}

// The contact method id in the first argument; nullopt after a usage error.
std::optional<int64_t> MethodId(Context& context, const Invocation& invocation,
                                const std::string& text) {
  const std::optional<int64_t> id = ParsePositiveInt(text);
  if (!id) {
    ReportUsage(context, invocation,
                "invalid contact method id '" + text +
                    "' (expected a number; 'klaxon notify methods' lists them)");
  }
  return id;
}

// "email contact method 5 (alice@example.com)".
std::string DescribeMethod(const nlohmann::json& method) {
  return FieldText(method, "kind") + " contact method " + FieldText(method, "id") + " (" +
         FieldText(method, "address") + ")";
}

// What `notify add-method` prints: the method, its signing secret if it is a webhook,
// and how to verify it.
std::string DescribeAddedMethod(const nlohmann::json& method, const std::string& user_flag) {
  std::string out = SanitizeForTerminal("Added " + DescribeMethod(method)) + "\n";
  const std::string secret = FieldText(method, "webhook_secret");
  if (!secret.empty()) {
    out += SanitizeForTerminal("Webhook signing secret (Standard Webhooks): " + secret) + "\n";
  }
  return out +
         SanitizeForTerminal("Get a verification code with 'klaxon notify test" + user_flag + " " +
                             FieldText(method, "id") + "'") +
         "\n";
}

}  // namespace

int NotifyMethodsCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> path = UserPath(context, invocation);
  if (!path) return kExitUsage;
  return CallAndPrint(context, invocation, "GET", *path, nullptr, &RenderNotificationSetup);
}

int NotifyAddMethodCommand(Context& context, const Invocation& invocation) {
  const std::optional<std::string> path = UserPath(context, invocation, "/contact-methods");
  if (!path) return kExitUsage;
  nlohmann::json body = {{"kind", invocation.Get("kind")}, {"address", invocation.Get("address")}};
  if (invocation.Has("label")) body["label"] = invocation.Get("label");
  const std::string user_flag = UserFlag(invocation);
  return CallAndPrint(context, invocation, "POST", *path, &body,
                      [&user_flag](const nlohmann::json& method) {
                        return DescribeAddedMethod(method, user_flag);
                      });
}

int NotifyAddRuleCommand(Context& context, const Invocation& invocation) {
  const std::optional<int64_t> method = MethodId(context, invocation, invocation.Get("method"));
  if (!method) return kExitUsage;
  const std::optional<int64_t> delay = ParseInt64(invocation.Get("delay"), 0);
  if (!delay) {
    return ReportUsage(context, invocation,
                       "invalid --delay '" + invocation.Get("delay") +
                           "' (expected minutes after the page, 0..1440)");
  }
  const std::optional<std::string> path = UserPath(context, invocation, "/notification-rules");
  if (!path) return kExitUsage;
  const nlohmann::json body = {{"contact_method", *method}, {"delay_minutes", *delay}};
  return CallAndPrint(context, invocation, "POST", *path, &body, [](const nlohmann::json& rule) {
    return SanitizeForTerminal("Added notification rule " + FieldText(rule, "id") +
                               ": contact method " + FieldText(rule, "contact_method") + " after " +
                               FieldText(rule, "delay_minutes") + " min") +
           "\n";
  });
}

int NotifyTestCommand(Context& context, const Invocation& invocation) {
  const std::optional<int64_t> method = MethodId(context, invocation, invocation.args.at(0));
  if (!method) return kExitUsage;
  const std::string id = std::to_string(*method);
  const std::optional<std::string> path =
      UserPath(context, invocation, "/contact-methods/" + id + "/test");
  if (!path) return kExitUsage;
  const std::string user_flag = UserFlag(invocation);
  const nlohmann::json body = nlohmann::json::object();
  return CallAndPrint(
      context, invocation, "POST", *path, &body, [&id, &user_flag](const nlohmann::json& sent) {
        return SanitizeForTerminal("Sent a test message to contact method " + id +
                                   " (notification " + FieldText(sent, "notification_id") +
                                   "); enter its code with 'klaxon notify verify" + user_flag +
                                   " " + id + " CODE'") +
               "\n";
      });
}

int NotifyVerifyCommand(Context& context, const Invocation& invocation) {
  const std::optional<int64_t> method = MethodId(context, invocation, invocation.args.at(0));
  if (!method) return kExitUsage;
  const std::optional<std::string> path =
      UserPath(context, invocation, "/contact-methods/" + std::to_string(*method) + "/verify");
  if (!path) return kExitUsage;
  const nlohmann::json body = {{"code", invocation.args.at(1)}};
  return CallAndPrint(context, invocation, "POST", *path, &body, [](const nlohmann::json& m) {
    return SanitizeForTerminal("Verified " + DescribeMethod(m)) + "\n";
  });
}

int NotifyListCommand(Context& context, const Invocation& invocation) {
  std::string incident;
  if (invocation.Has("incident")) {
    const std::optional<std::string> number = NormalizeIncidentId(invocation.Get("incident"));
    if (!number) {
      return ReportUsage(context, invocation,
                         "invalid --incident '" + invocation.Get("incident") +
                             "' (expected a number like 42 or a reference like INC-42)");
    }
    incident = *number;
  }
  const std::string path =
      WithQuery(std::string(kNotifications), {{"status", invocation.Get("status")},
                                              {"incident", incident},
                                              {"user", invocation.Get("user")}});
  return CallAndPrint(context, invocation, "GET", path, nullptr, [](const nlohmann::json& list) {
    return RenderItems(list, &RenderNotificationTable, "notifications");
  });
}

}  // namespace klaxon::cli
