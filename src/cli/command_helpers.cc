#include "cli/command_helpers.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <utility>

#include "cli/errors.h"
#include "cli/session.h"
#include "cli/time_args.h"
#include "core/json_parse.h"
#include "core/time_format.h"

namespace klaxon::cli {

namespace {

constexpr size_t kMaxBodyFileBytes = 1 << 20;  // The server's default --max-body.

}  // namespace

std::optional<TimeMs> TimeOption(Context& context, const Invocation& invocation,
                                 std::string_view name, TimeMs now) {
  const std::string text = invocation.Get(name);
  const std::optional<TimeMs> time = ParseTimeArg(text, now);
  if (!time) {
    ReportUsage(context, invocation,
                "invalid --" + std::string(name) + " '" + text + "' (expected " +
                    std::string(kTimeArgForms) + ")");
  }
  return time;
}

std::optional<std::string> TimeOptionText(Context& context, const Invocation& invocation,
                                          std::string_view name, TimeMs now) {
  if (!invocation.Has(name)) return "";
  const std::optional<TimeMs> time = TimeOption(context, invocation, name, now);
  if (!time) return std::nullopt;
  return FormatTime(*time);
}

std::optional<nlohmann::json> ReadBodyFile(Context& context, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ReportError(context, "cannot read " + path + ": " + std::strerror(errno));
    return std::nullopt;
  }
  std::string text(kMaxBodyFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxBodyFileBytes) {
    ReportError(context, path + " is larger than 1 MiB");
    return std::nullopt;
  }
  Result<nlohmann::json> body = ParseJson(text);
  if (!body.ok()) {
    ReportError(context, path + ": " + body.status().message());
    return std::nullopt;
  }
  if (!body->is_object()) {
    ReportError(context, path + ": expected a JSON object (the request body, see docs/api.md)");
    return std::nullopt;
  }
  return std::move(body).value();
}

std::string ChoiceList(std::span<const std::string_view> choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
    out += choices[i];
  }
  return out;
}

std::optional<std::string> ChoiceOption(Context& context, const Invocation& invocation,
                                        std::string_view name,
                                        std::span<const std::string_view> choices) {
  std::string value = invocation.Get(name);
  for (char& c : value) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '-') c = '_';
  }
  for (std::string_view choice : choices) {
    if (choice == value) return value;
  }
  ReportUsage(context, invocation,
              "invalid --" + std::string(name) + " '" + invocation.Get(name) + "' (expected " +
                  ChoiceList(choices) + ")");
  return std::nullopt;
}

std::optional<bool> JsonOutput(Context& context, const Invocation& invocation) {
  static constexpr std::string_view kOutputs[] = {"table", "json"};
  if (!invocation.Has("output")) return invocation.Has("json");
  const std::optional<std::string> output = ChoiceOption(context, invocation, "output", kOutputs);
  if (!output) return std::nullopt;
  if (*output == "table" && invocation.Has("json")) {
    ReportUsage(context, invocation, "-o table and --json contradict each other");
    return std::nullopt;
  }
  return *output == "json" || invocation.Has("json");
}

std::optional<HttpResponse> SendRequest(Context& context, const Session& session,
                                        std::string method, std::string path,
                                        std::optional<std::string> body) {
  const std::unique_ptr<HttpClient> client = context.make_client(session.connection());
  HttpResponse response = client->Send({std::move(method), std::move(path), std::move(body)});
  if (!response.received()) {
    ReportError(context, FormatTransportError(session.connection().server, response.error));
    return std::nullopt;
  }
  return response;
}

}  // namespace klaxon::cli
