// Running a playbook action: rendering its request and making the HTTP call that a
// responder confirmed from an incident (or an automation rule decided on).
//
// An action is a named HTTP call written in the playbook (method, URL, headers, a
// mustache body over the incident's facts, a timeout and the statuses it expects).
// Secrets are never written in the playbook: the url, headers and body refer to
// environment variables as ${NAME}, resolved here when the action runs. Every value taken
// from the environment counts as a secret: it is replaced by "[redacted]" in everything
// this module returns (url, excerpt, error), so a RunResult is safe to store, show and
// log. This module itself never logs.
//
// Rendering rules (Prepare):
// - ${NAME} is expanded only where the playbook wrote it. Text that comes from the facts
//   (the incident's title and so on, typed by users) is never scanned for ${...} nor
//   rendered as mustache: references are swapped for placeholder tokens before the body
//   is rendered, and facts cannot contain a placeholder token.
// - The body is JSON when the action's Content-Type header contains "json", or, without
//   a Content-Type, when the trimmed body starts with { or [. Mustache values ({{x}}) are
//   then JSON-string-escaped (without quotes: write "{{title}}"); otherwise they are
//   inserted as they are (no HTML escaping). {{{x}}} and {{&x}} insert a value unescaped
//   in both modes. Environment values are inserted as they are, in every mode.
// - A non-empty body without a Content-Type header is sent as application/json when it
//   is JSON (as above), else as text/plain.
//
// Pure functions (Prepare, Redact) and one blocking call (Run) with a bounded duration;
// all of them are safe on any thread and never throw.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "playbook/playbook.h"

namespace klaxon::remediation {

// Where ${NAME} values come from: nullopt when the variable is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (std::getenv).
EnvLookup ProcessEnv();

// What running an action gave. Every text field is valid UTF-8 and free of secrets.
struct RunResult {
  bool ok = false;          // the call completed and the status was expected
  int http_status = 0;      // 0 when there was no response
  int64_t duration_ms = 0;  // the HTTP exchange as libcurl timed it; 0 when none was made
  std::string method;
  std::string url;      // every secret value replaced by "[redacted]"
  std::string excerpt;  // the response body's first 512 bytes (UTF-8-safe cut), redacted
  // Empty when ok, else one of: "environment variable ROLLBACK_TOKEN is not set" (no
  // request was made), "timed out after 10s", "connection refused", "could not resolve
  // host", "unexpected status 500 (expected 200 or 202)", or libcurl's description.
  std::string error;

  // {"ok","http_status","duration_ms","method","url","excerpt","error"}.
  nlohmann::json ToJson() const;
};

// Limits.
inline constexpr size_t kExcerptBytes = 512;
inline constexpr size_t kMaxResponseBytes = 64 * 1024;       // read at most this much
inline constexpr size_t kMaxRequestBodyBytes = 1024 * 1024;  // the rendered body
inline constexpr int64_t kMaxTimeoutMs = 10 * 60 * 1000;

// Renders the action (see the rules above) and makes the call with libcurl: blocking,
// action.timeout as the limit on the whole exchange (at most 10 minutes), success when
// the status is one of action.expect_status (empty: any 2xx). Only http and https;
// redirects are never followed (a 3xx is an unexpected status unless expected). When
// Prepare fails, no request is made and its message is the error.
RunResult Run(const playbook::Action& action, const nlohmann::json& facts, const EnvLookup& env);

// The request as it will be sent. Holds secrets in clear: never log or store it.
struct Prepared {
  std::string method;
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // with the default Content-Type
  std::vector<std::string> secrets;  // every non-empty environment value used, unique
};

// kInvalidArgument when a referenced variable is not set ("environment variable
// ROLLBACK_TOKEN is not set"; several: "environment variables A, B are not set"), when
// the body is not a valid mustache template or renders longer than kMaxRequestBodyBytes,
// when the expanded url is not an http(s) URL, or when an expanded header value holds a
// line break. Messages never hold secrets.
Result<Prepared> Prepare(const playbook::Action& action, const nlohmann::json& facts,
                         const EnvLookup& env);

// `text` with every occurrence of each non-empty secret (as written, JSON-string-escaped
// and percent-encoded) replaced by "[redacted]"; longer secrets first.
std::string Redact(std::string text, const std::vector<std::string>& secrets);

}  // namespace klaxon::remediation
