#include "cli/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/args.h"

namespace klaxon::cli {

namespace {

// Every environment variable the CLI reads.
constexpr std::string_view kEnvironmentVariables[] = {
    "KLAXON_SERVER",   "KLAXON_TOKEN",    "KLAXON_CLI_CONFIG",
    "KLAXON_PASSWORD", "XDG_CONFIG_HOME", "HOME",
};

constexpr size_t kMaxConfigBytes = 1 << 20;

std::string StringField(const nlohmann::json& data, const char* key) {
  const auto it = data.find(key);
  return it != data.end() && it->is_string() ? it->get<std::string>() : "";
}

Status ErrnoStatus(const std::string& what, const std::string& path) {
  return Internal(what + " " + path + ": " + std::strerror(errno));
}

bool ValidToken(std::string_view token) {
  return std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

// Writes all of `text` to `fd`; false with errno set on failure.
bool WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Environment Environment::FromProcess() {
  std::map<std::string, std::string, std::less<>> values;
  for (std::string_view name : kEnvironmentVariables) {
    if (const char* value = std::getenv(std::string(name).c_str()))
      values[std::string(name)] = value;
  }
  return Environment(std::move(values));
}

std::optional<std::string> Environment::Get(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string ConfigFile::server() const { return StringField(data, "server"); }
std::string ConfigFile::token() const { return StringField(data, "token"); }

Result<std::string> ResolveConfigPath(const Invocation& invocation, const Environment& env) {
  if (invocation.Has("config")) {
    std::string path = invocation.Get("config");
    if (path.empty()) return Invalid("--config needs a file name");
    return path;
  }
  if (auto path = env.Get("KLAXON_CLI_CONFIG")) return *path;
  if (auto xdg = env.Get("XDG_CONFIG_HOME")) return *xdg + "/klaxon/cli.json";
  if (auto home = env.Get("HOME")) return *home + "/.config/klaxon/cli.json";
  return Invalid("cannot find the config file: set HOME, XDG_CONFIG_HOME or KLAXON_CLI_CONFIG");
}

Result<ConfigFile> LoadConfigFile(const std::string& path) {
  ConfigFile config;
  config.path = path;
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return config;
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoStatus("cannot read config file", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxConfigBytes) return Invalid("config file " + path + " is too large");
  config.data = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!config.data.is_object()) {
    return Invalid("config file " + path + " is not a JSON object; fix or remove it");
  }
  config.exists = true;
  return config;
}

Status SaveConfigFile(const ConfigFile& config) {
  const std::filesystem::path path(config.path);
  if (path.has_parent_path()) {
    const std::filesystem::path parent = path.parent_path();
    std::error_code error;
    if (!std::filesystem::exists(parent, error)) {
      std::filesystem::create_directories(parent, error);
      if (error) return Internal("cannot create " + parent.string() + ": " + error.message());
      std::filesystem::permissions(parent, std::filesystem::perms::owner_all, error);
    }
  }
  const std::string temp = config.path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("cannot write", temp);
  const bool written = WriteAll(fd, config.data.dump(2) + "\n") && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    errno = saved_errno;
    return ErrnoStatus("cannot write", temp);
  }
  if (::rename(temp.c_str(), config.path.c_str()) != 0) {
    const Status status = ErrnoStatus("cannot write", config.path);
    ::unlink(temp.c_str());
    return status;
  }
  return Status::Ok();
}

Result<std::string> NormalizeServerUrl(std::string_view url) {
  std::string out(url);
  while (out.ends_with('/')) out.pop_back();
  const bool http = out.starts_with("http://") || out.starts_with("https://");
  const size_t host = out.find("://") + 3;
  if (!http || out.size() <= host ||
      !std::all_of(out.begin(), out.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
    return Invalid("invalid server URL '" + std::string(url) +
                   "' (expected http://HOST:PORT or https://HOST:PORT)");
  }
  return out;
}

Result<Connection> ResolveConnection(const Invocation& invocation, const Environment& env,
                                     const ConfigFile& file) {
  std::string server;
  if (invocation.Has("server")) {
    server = invocation.Get("server");
  } else if (auto from_env = env.Get("KLAXON_SERVER")) {
    server = *from_env;
  } else if (!file.server().empty()) {
    server = file.server();
  } else {
    server = std::string(kDefaultServer);
  }
  Result<std::string> normalized = NormalizeServerUrl(server);
  if (!normalized.ok()) return normalized.status();

  Connection connection;
  connection.server = std::move(normalized).value();
  if (invocation.Has("token")) {
    connection.token = invocation.Get("token");
    connection.token_source = TokenSource::kFlag;
  } else if (auto from_env = env.Get("KLAXON_TOKEN")) {
    connection.token = *from_env;
    connection.token_source = TokenSource::kEnvironment;
  } else if (!file.token().empty()) {
    Result<std::string> file_server = NormalizeServerUrl(file.server());
    if (file_server.ok() && *file_server == connection.server) {
      connection.token = file.token();
      connection.token_source = TokenSource::kConfigFile;
    }
  }
  if (connection.token.empty()) connection.token_source = TokenSource::kNone;
  if (!ValidToken(connection.token)) {
    return Invalid("the API token contains spaces or control characters");
  }
  return connection;
}

}  // namespace klaxon::cli
