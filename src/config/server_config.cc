#include "config/server_config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <thread>

#include "core/time_format.h"

namespace klaxon::config {

namespace {

std::string ParseInt(std::string_view v, int64_t lo, int64_t hi, int64_t& out) {
  int64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size()) return "must be an integer";
  if (x < lo || x > hi)
    return "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
  out = x;
  return "";
}

template <typename T>
std::function<std::string(ServerConfig&, const std::string&)> IntOption(T ServerConfig::*field,
                                                                        int64_t lo, int64_t hi) {
  return [field, lo, hi](ServerConfig& c, const std::string& v) {
    int64_t x;
    std::string err = ParseInt(v, lo, hi, x);
    if (err.empty()) c.*field = static_cast<T>(x);
    return err;
  };
}

std::string ParseBool(const std::string& v, bool& out) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") {
    out = true;
    return "";
  }
  if (v == "false" || v == "0" || v == "no" || v == "off") {
    out = false;
    return "";
  }
  return "must be true or false";
}

const std::vector<Option>& Table() {
  static const std::vector<Option> kTable = {
      {"listen", "host:port", "127.0.0.1:8080", "address and port the HTTP server listens on",
       false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         size_t colon = v.rfind(':');
         if (colon == std::string::npos || colon == 0) return "must be HOST:PORT";
         int64_t port;
         std::string err = ParseInt(std::string_view(v).substr(colon + 1), 0, 65535, port);
         if (!err.empty()) return "port " + err;
         std::string host = v.substr(0, colon);
         if (host.size() > 2 && host.front() == '[' && host.back() == ']')
           host = host.substr(1, host.size() - 2);
         c.listen_host = host;
         c.listen_port = static_cast<int>(port);
         return "";
       }},
      {"status-listen", "host:port", "",
       "a second address serving only the public status page (/status, /api/v2/*.json), so "
       "the console need not be exposed",
       false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         if (v.empty()) {
           c.status_listen_port = 0;
           return "";
         }
         size_t colon = v.rfind(':');
         if (colon == std::string::npos || colon == 0) return "must be HOST:PORT";
         int64_t port;
         std::string err = ParseInt(std::string_view(v).substr(colon + 1), 1, 65535, port);
         if (!err.empty()) return "port " + err;
         std::string host = v.substr(0, colon);
         if (host.size() > 2 && host.front() == '[' && host.back() == ']')
           host = host.substr(1, host.size() - 2);
         c.status_listen_host = host;
         c.status_listen_port = static_cast<int>(port);
         return "";
       }},
      {"data", "path", "./var", "directory for the SQLite file and anything else on disk", false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         if (v.empty()) return "must not be empty";
         c.data_dir = v;
         return "";
       }},
      {"db", "url", "sqlite:<data>/klaxon.db", "store URL; sqlite:PATH (postgres:// later)", true,
       [](ServerConfig& c, const std::string& v) -> std::string {
         if (!v.starts_with("sqlite:") && !v.starts_with("postgres://") &&
             !v.starts_with("postgresql://"))
           return "must be sqlite:PATH or postgres://...";
         c.db = v;
         return "";
       }},
      {"clock", "enum", "system",
       "system, or manual: time stands still until POST /api/v1/admin/clock/advance (tests)", false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         if (v != "system" && v != "manual") return "must be system or manual";
         c.manual_clock = v == "manual";
         return "";
       }},
      {"clock-start", "time", "now",
       "with --clock manual, the instant the clock starts at (RFC 3339; tests)", false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         auto t = ParseTime(v);
         if (!t) return "must be an RFC 3339 time like 2026-11-25T14:00:00-05:00";
         c.clock_start = *t;
         return "";
       }},
      {"public-url", "url", "http://<listen>", "base URL used in links Klaxon sends", false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         if (!v.starts_with("http://") && !v.starts_with("https://"))
           return "must start with http:// or https://";
         c.public_url = v;
         while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
         return "";
       }},
      {"threads", "int", "half the cores (at least 1)",
       "HTTP I/O threads (the API's handlers run on their own pool of 2-3)", false,
       IntOption(&ServerConfig::threads, 1, 256)},
      {"max-body", "int", "1048576", "largest request body in bytes (larger → 413)", false,
       IntOption(&ServerConfig::max_body, 1024, int64_t{1} << 30)},
      {"max-header", "int", "16384", "largest request header block in bytes (larger → 431)", false,
       IntOption(&ServerConfig::max_header, 1024, 1 << 20)},
      {"read-timeout", "int", "30", "seconds a client may take to send one request", false,
       IntOption(&ServerConfig::read_timeout_s, 1, 3600)},
      {"idle-timeout", "int", "60", "seconds a keep-alive connection may wait for its next request",
       false, IntOption(&ServerConfig::idle_timeout_s, 1, 3600)},
      {"max-connections", "int", "10000", "open client connections; more are closed at accept",
       false, IntOption(&ServerConfig::max_connections, 1, 1000000)},
      {"drain-timeout", "int", "20", "seconds SIGTERM waits for in-flight requests", false,
       IntOption(&ServerConfig::drain_timeout_s, 0, 3600)},
      {"session-ttl", "int", "12", "hours a console login lasts", false,
       IntOption(&ServerConfig::session_ttl_hours, 1, 24 * 90)},
      {"admin-password", "string", "(random, printed)",
       "password of the first admin, used only when the store is empty", true,
       [](ServerConfig& c, const std::string& v) -> std::string {
         if (v.size() < 8) return "must be at least 8 characters";
         c.admin_password = v;
         return "";
       }},
      {"smtp-url", "url", "(none: email disabled)",
       "SMTP server for email notifications: smtp://host:port or smtps://host:port", false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         if (!v.empty() && !v.starts_with("smtp://") && !v.starts_with("smtps://"))
           return "must start with smtp:// or smtps://";
         c.smtp_url = v;
         return "";
       }},
      {"smtp-from", "string", "klaxon@localhost", "sender address of email notifications", false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         if (v.find('@') == std::string::npos || v.find_first_of("\r\n<>") != std::string::npos)
           return "must be an email address";
         c.smtp_from = v;
         return "";
       }},
      {"smtp-user", "string", "(none: no AUTH)", "SMTP user name", false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         c.smtp_user = v;
         return "";
       }},
      {"smtp-password", "string", "(none)", "SMTP password", true,
       [](ServerConfig& c, const std::string& v) -> std::string {
         c.smtp_password = v;
         return "";
       }},
      {"smtp-starttls", "enum", "try", "off, try or required: STARTTLS on smtp:// connections",
       false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         if (v != "off" && v != "try" && v != "required") return "must be off, try or required";
         c.smtp_starttls = v;
         return "";
       }},
      {"smtp-verify-tls", "bool", "true", "verify the SMTP server's TLS certificate", false,
       [](ServerConfig& c, const std::string& v) { return ParseBool(v, c.smtp_verify_tls); }},
      {"notify-max-age", "int", "3600",
       "seconds a notification is retried before it is given up (notification.failed)", false,
       IntOption(&ServerConfig::notify_max_age_s, 10, 7 * 86400)},
      {"demo", "bool", "false", "create a demo organization on first start", false,
       [](ServerConfig& c, const std::string& v) { return ParseBool(v, c.demo); }},
      {"demo-playbook", "path", "",
       "with --demo: apply this playbook file or directory as the demo organization "
       "(make run: examples/sev-levels)",
       false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         c.demo_playbook = v;
         return "";
       }},
      {"log-level", "enum", "info", "debug, info, warn or error", false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         if (v != "debug" && v != "info" && v != "warn" && v != "error")
           return "must be debug, info, warn or error";
         c.log_level = v;
         return "";
       }},
      {"sqlite-sync", "enum", "full",
       "full: fsync every commit (survives power loss); normal: survives process crashes", false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         if (v != "full" && v != "normal") return "must be full or normal";
         c.sqlite_sync_full = v == "full";
         return "";
       }},
      {"config", "path", "", "YAML file with any of these options as keys", false,
       [](ServerConfig& c, const std::string& v) -> std::string {
         c.config_file = v;
         return "";
       }},
  };
  return kTable;
}

const Option* FindOption(std::string_view name) {
  for (const auto& o : Table())
    if (o.name == name) return &o;
  return nullptr;
}

}  // namespace

std::span<const Option> Options() { return Table(); }

std::string EnvName(std::string_view option) {
  std::string s = "KLAXON_";
  for (char c : option) s.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return s;
}

std::string ServerConfig::StoreUrl() const {
  return db.empty() ? "sqlite:" + data_dir + "/klaxon.db" : db;
}

std::string ServerConfig::PublicUrl() const {
  return public_url.empty() ? "http://" + listen_host + ":" + std::to_string(listen_port)
                            : public_url;
}

Result<ServerConfig> LoadServerConfig(const std::vector<std::string>& args,
                                      const std::map<std::string, std::string>& env) {
  // 1. Flags, collected first (they win), so --config is known before the file is read.
  std::vector<std::pair<const Option*, std::string>> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!a.starts_with("--"))
      return Status(Code::kInvalidArgument,
                    "unexpected argument '" + a + "' (see klaxon serve --help)",
                    {{a, "unexpected argument"}});
    std::string name = a.substr(2), value;
    size_t eq = name.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const Option* o = FindOption(name);
    if (!o)
      return InvalidField("--" + name, "unknown flag --" + name + " (see klaxon serve --help)");
    if (!has_value) {
      if (o->type == "bool" && (i + 1 >= args.size() || args[i + 1].starts_with("--"))) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Status(Code::kInvalidArgument, "flag --" + name + " needs a value",
                      {{"--" + name, "needs a value"}});
      }
    }
    flags.emplace_back(o, value);
  }

  ServerConfig c;
  // I/O and the quick paths (intake, status page); the console's and the API's handlers
  // run on their own pool. On two cores one HTTP thread serves intake ~15 % faster than two
  // (each event woke the other: bench/RESULTS.md, intake Run 11).
  c.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2);

  // 2. Config file.
  std::string file;
  for (auto& [o, v] : flags)
    if (o->name == "config") file = v;
  if (file.empty())
    if (auto it = env.find("KLAXON_CONFIG"); it != env.end()) file = it->second;
  if (!file.empty()) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(file);
    } catch (const YAML::BadFile&) {
      return InvalidField(file, "cannot read config file " + file);
    } catch (const YAML::Exception& e) {
      std::string where = file + ":" + std::to_string(e.mark.line + 1);
      return Status(Code::kInvalidArgument, where + ": " + e.msg, {{where, e.msg}});
    }
    if (root && !root.IsNull()) {
      if (!root.IsMap())
        return Status(Code::kInvalidArgument,
                      file + ":1: the config file must be a mapping of options",
                      {{file + ":1", "must be a mapping"}});
      for (auto it = root.begin(); it != root.end(); ++it) {
        std::string key = it->first.as<std::string>();
        std::string where = file + ":" + std::to_string(it->first.Mark().line + 1) + ":" + key;
        const Option* o = FindOption(key);
        if (!o || key == "config")
          return Status(Code::kInvalidArgument, where + ": unknown option",
                        {{where, "unknown option"}});
        if (!it->second.IsScalar())
          return Status(Code::kInvalidArgument, where + ": must be a single value",
                        {{where, "must be a single value"}});
        std::string err = o->apply(c, it->second.as<std::string>());
        if (!err.empty()) return Status(Code::kInvalidArgument, where + ": " + err, {{where, err}});
      }
    }
  }

  // 3. Environment.
  for (const auto& o : Table()) {
    if (o.name == "config") continue;
    auto it = env.find(EnvName(o.name));
    if (it == env.end()) continue;
    std::string err = o.apply(c, it->second);
    if (!err.empty())
      return Status(Code::kInvalidArgument, it->first + ": " + err, {{it->first, err}});
  }

  // 4. Flags.
  for (auto& [o, v] : flags) {
    std::string err = o->apply(c, v);
    if (!err.empty()) {
      std::string flag = "--" + std::string(o->name);
      return Status(Code::kInvalidArgument, flag + ": " + err, {{flag, err}});
    }
  }
  return c;
}

std::string ServeHelp() {
  std::string s =
      "Usage: klaxon serve [OPTIONS]\n\nStarts the Klaxon server. Every option is also an "
      "environment variable KLAXON_<NAME> and a key of the --config YAML file.\n\n";
  for (const auto& o : Table()) {
    std::string flag = "  --" + std::string(o.name) + " " + std::string(o.type);
    if (flag.size() < 32) flag.resize(32, ' ');
    s += flag + std::string(o.help) + " (default: " + std::string(o.default_value) + ")\n";
  }
  return s;
}

std::string ConfigMarkdown() {
  std::string s =
      "# Server configuration\n\nGenerated from the options table in "
      "src/config/server_config.cc (`klaxon serve --help` prints the same).\n"
      "Precedence: flag > environment variable > config file > default.\n\n"
      "| flag | environment | type | default | secret | meaning |\n|---|---|---|---|---|---|\n";
  for (const auto& o : Table())
    s += "| `--" + std::string(o.name) + "` | `" + EnvName(o.name) + "` | " + std::string(o.type) +
         " | " + std::string(o.default_value) + " | " + (o.secret ? "yes" : "") + " | " +
         std::string(o.help) + " |\n";
  return s;
}

}  // namespace klaxon::config
