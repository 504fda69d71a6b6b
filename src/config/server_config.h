// The server's settings and the one table of options they come from.
//
// Each option is a flag (`--max-body 4096` or `--max-body=4096`), an environment variable
// (`KLAXON_MAX_BODY`) and a key in the optional YAML config file (`max-body: 4096`), in
// that order of precedence over the default. Errors name the flag, the variable or the
// file:line:key. Values; the help text and docs/config.md are generated from kOptions.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace klaxon::config {

struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;
  // A second listener serving only the public status page (and /healthz); port 0: none.
  std::string status_listen_host;
  int status_listen_port = 0;
  std::string data_dir = "./var";
  std::string db;  // store URL; empty → sqlite:<data>/klaxon.db
  bool manual_clock = false;
  std::optional<TimeMs> clock_start;  // --clock-start (manual clock only)
  std::string public_url;             // empty → http://<listen>
  int threads = 4;
  int64_t max_body = 1 << 20;
  int64_t max_header = 16 << 10;
  int read_timeout_s = 30;
  int idle_timeout_s = 60;
  int max_connections = 10000;
  int drain_timeout_s = 20;
  int session_ttl_hours = 12;
  std::string admin_password;  // first start only
  bool demo = false;
  std::string demo_playbook;  // --demo-playbook: file or directory
  std::string log_level = "info";
  bool sqlite_sync_full = true;
  std::string config_file;
  // Email notifications (SMTP via libcurl). Empty URL: email disabled.
  std::string smtp_url;
  std::string smtp_from = "klaxon@localhost";
  std::string smtp_user;
  std::string smtp_password;
  std::string smtp_starttls = "try";
  bool smtp_verify_tls = true;
  int notify_max_age_s = 3600;

  std::string StoreUrl() const;
  std::string PublicUrl() const;
};

struct Option {
  std::string_view name;  // flag name without "--"
  std::string_view type;  // "string", "int", "bool", "enum", "host:port", "path"
  std::string_view default_value;
  std::string_view help;
  bool secret;
  // Parses `value` into the config; returns an error message or "".
  std::function<std::string(ServerConfig&, const std::string& value)> apply;
};

std::span<const Option> Options();

// Parses `args` (after "serve"), the environment and the config file named by
// --config / KLAXON_CONFIG. Unknown flags and bad values are errors.
Result<ServerConfig> LoadServerConfig(const std::vector<std::string>& args,
                                      const std::map<std::string, std::string>& env);

// The help text of `klaxon serve`, from the table.
std::string ServeHelp();
// docs/config.md, from the table.
std::string ConfigMarkdown();
// The environment variable of an option: "max-body" → "KLAXON_MAX_BODY".
std::string EnvName(std::string_view option);

}  // namespace klaxon::config
