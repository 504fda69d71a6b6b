// Where the CLI finds its server, token and config file, and how it saves a login.
//
// Precedence for each setting: command-line flag > environment variable > config file >
// default. The config file is JSON, `{"server": "...", "token": "..."}`, written with mode
// 0600 by `klaxon login`; other keys in it are preserved. A token from the file is only
// used for the server it was issued by, so `--server elsewhere` never carries it there.
// Environment is a snapshot of the variables the CLI reads, passed in so tests control it.
// Values only; nothing here is shared between threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace klaxon::cli {

struct Invocation;

inline constexpr std::string_view kDefaultServer = "http://127.0.0.1:8080";

// The environment variables the CLI reads (empty values count as unset).
class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string, std::less<>> values)
      : values_(std::move(values)) {}

  // Reads the variables in the CLI's table from the process environment.
  static Environment FromProcess();

  std::optional<std::string> Get(std::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

struct ConfigFile {
  std::string path;
  nlohmann::json data = nlohmann::json::object();  // The whole document, for rewriting.
  bool exists = false;

  std::string server() const;
  std::string token() const;
};

// --config, else KLAXON_CLI_CONFIG, else $XDG_CONFIG_HOME/klaxon/cli.json, else
// $HOME/.config/klaxon/cli.json; an error when none of them can be determined.
Result<std::string> ResolveConfigPath(const Invocation& invocation, const Environment& env);

// Reads the file; a missing file is an empty config, unreadable or malformed JSON an error.
Result<ConfigFile> LoadConfigFile(const std::string& path);

// Writes `config.data` atomically (temp file + rename) with mode 0600, creating the parent
// directory with mode 0700 when missing.
Status SaveConfigFile(const ConfigFile& config);

enum class TokenSource { kNone, kFlag, kEnvironment, kConfigFile };

struct Connection {
  std::string server;  // "http://host:port", no trailing slash.
  std::string token;   // Empty when there is none.
  TokenSource token_source = TokenSource::kNone;
};

// Server: --server > KLAXON_SERVER > file > kDefaultServer. Token: --token > KLAXON_TOKEN >
// the file's token when the file's server is the chosen server. An invalid server URL or
// token is an error.
Result<Connection> ResolveConnection(const Invocation& invocation, const Environment& env,
                                     const ConfigFile& file);

// "http://h:1/" → "http://h:1"; an error unless it is an http:// or https:// URL.
Result<std::string> NormalizeServerUrl(std::string_view url);

}  // namespace klaxon::cli
