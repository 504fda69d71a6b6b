// What every client command that talks to the server shares: resolving the config file and
// connection, sending a request, and reporting failures the same way.
//
// Internal to src/cli. A Session borrows its Context (which must outlive it) and owns its
// HttpClient. Failures are printed to the context's error stream as one "klaxon: ..." line
// and signalled by an empty optional; the command then returns kExitError.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace klaxon::cli {

class Session {
 public:
  enum class Auth { kToken, kNone };

  // kToken: a token is required ("not logged in" otherwise) and sent; kNone: none is sent.
  static std::optional<Session> Open(Context& context, const Invocation& invocation, Auth auth);

  // The 2xx response body (JSON null when empty), or nullopt after printing the error.
  std::optional<nlohmann::json> Call(std::string_view method, const std::string& path,
                                     const nlohmann::json* body = nullptr);

  const Connection& connection() const { return connection_; }
  ConfigFile& config() { return config_; }
  bool json_output() const { return json_output_; }

  // `value` pretty-printed on the output stream.
  void PrintJson(const nlohmann::json& value) const;

 private:
  Session(Context& context, Connection connection, ConfigFile config, bool json_output);

  Context* context_;
  Connection connection_;
  ConfigFile config_;
  bool json_output_;
  std::unique_ptr<HttpClient> client_;
};

// Opens a token session, sends the request and prints the response: the server's JSON with
// --json (nothing for an empty body), else render(response) as it is. Returns the exit code.
int CallAndPrint(Context& context, const Invocation& invocation, std::string_view method,
                 const std::string& path, const nlohmann::json* body,
                 const std::function<std::string(const nlohmann::json&)>& render);

// Prints "klaxon: <message>" and returns kExitError.
int ReportError(Context& context, std::string_view message);

// Prints "klaxon: <message>" and the command's usage line; returns kExitUsage.
int ReportUsage(Context& context, const Invocation& invocation, std::string_view message);

// `value`, or nullopt after a usage error naming `what` ("--user", "SCHEDULE") when it is
// empty: an empty path segment would address another route.
std::optional<std::string> RequireNonEmpty(Context& context, const Invocation& invocation,
                                           std::string value, std::string_view what);

// `value` as pretty JSON; invalid UTF-8 from the server is replaced, never thrown on.
std::string JsonText(const nlohmann::json& value);

}  // namespace klaxon::cli
