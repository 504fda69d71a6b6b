#include "cli/errors.h"

#include <nlohmann/json.hpp>

#include "cli/table.h"

namespace klaxon::cli {

namespace {

struct Reason {
  int status;
  std::string_view phrase;
};

constexpr Reason kReasons[] = {
    {301, "Moved Permanently"},
    {302, "Found"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {409, "Conflict"},
    {413, "Payload Too Large"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Entity"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

constexpr size_t kMaxBodyExcerpt = 200;

std::string StringOr(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// "title: is required; severity: unknown level" from the problem's errors[], leaving out
// messages the detail already contains.
std::string FieldErrors(const nlohmann::json& problem, const std::string& detail) {
  const auto errors = problem.find("errors");
  if (errors == problem.end() || !errors->is_array()) return "";
  std::string out;
  for (const auto& error : *errors) {
    if (!error.is_object()) continue;
    std::string field = StringOr(error, "field");
    if (field.starts_with('/')) field.erase(0, 1);
    const std::string message = StringOr(error, "message");
    if (field.empty() && message.empty()) continue;
    if (!message.empty() && detail.find(message) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += field.empty() ? message : field + ": " + message;
  }
  return out;
}

// The detail (or title) of a problem+json body plus its field errors and request id.
std::string ProblemText(const nlohmann::json& problem) {
  std::string text = StringOr(problem, "detail");
  if (text.empty()) text = StringOr(problem, "title");
  const std::string fields = FieldErrors(problem, text);
  if (!fields.empty()) text += text.empty() ? fields : " (" + fields + ")";
  const std::string request_id = StringOr(problem, "request_id");
  const auto status = problem.find("status");
  if (!request_id.empty() && status != problem.end() && status->is_number_integer() &&
      status->get<int>() >= 500) {
    text += " [request " + request_id + "]";
  }
  return text;
}

// The first non-blank line of a body that is not a problem document, shortened.
std::string BodyExcerpt(std::string_view body) {
  const size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return "";
  body.remove_prefix(start);
  body = body.substr(0, body.find_first_of("\r\n"));
  return TruncateToWidth(body, kMaxBodyExcerpt);
}

}  // namespace

std::string_view ReasonPhrase(int status) {
  for (const auto& reason : kReasons) {
    if (reason.status == status) return reason.phrase;
  }
  return "";
}

std::string FormatApiError(int status, std::string_view body) {
  std::string out = std::to_string(status);
  const std::string_view reason = ReasonPhrase(status);
  if (!reason.empty()) out += " " + std::string(reason);

  std::string text;
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    text = ProblemText(parsed);
  } else if (!parsed.is_discarded()) {
    text = "";  // JSON but not a problem document: nothing useful to add.
  } else {
    text = BodyExcerpt(body);
  }
  if (!text.empty()) out += ": " + text;
  return SanitizeForTerminal(out);
}

std::string FormatTransportError(std::string_view server, std::string_view cause) {
  return SanitizeForTerminal("cannot reach " + std::string(server) + ": " + std::string(cause));
}

}  // namespace klaxon::cli
