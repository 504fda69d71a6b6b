#include "cli/command_helpers.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

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

}  // namespace klaxon::cli
