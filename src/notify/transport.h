// Sending over the wire: an HTTP POST for chat and webhooks, SMTP (with STARTTLS and auth
// as configured) for email, both with libcurl, except that plain http:// posts go over
// connections kept open between posts (keepalive.h). Blocking calls with timeouts; any
// thread. Redirects are not followed.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "notify/channels.h"

namespace klaxon::notify {

struct HttpResult {
  int status = 0;    // 0: transport error (see error)
  std::string body;  // first 4 KiB
  std::vector<std::pair<std::string, std::string>> headers;
  std::string error;
};
HttpResult PostHttp(const HttpRequest& req, int timeout_ms);

struct SmtpConfig {
  std::string url;  // "smtp://host:port" or "smtps://host:port"; empty: email disabled
  std::string from = "klaxon@localhost";
  std::string username;  // empty: no AUTH
  std::string password;
  std::string starttls = "try";  // "off", "try", "required"
  bool verify_tls = true;
};
struct SmtpResult {
  bool ok = false;
  bool permanent = false;  // 5xx from the server: do not retry
  std::string error;
};
SmtpResult SendMail(const SmtpConfig& cfg, const Mail& mail, int timeout_ms);

}  // namespace klaxon::notify
