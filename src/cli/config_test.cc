#include "cli/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "cli/args.h"

namespace klaxon::cli {
namespace {

Invocation WithOptions(std::map<std::string, std::string, std::less<>> options) {
  Invocation invocation;
  invocation.options = std::move(options);
  return invocation;
}

// Environment from a braced list (a map parameter would be ambiguous for a single pair).
Environment Env(std::initializer_list<std::pair<const std::string, std::string>> values) {
  return Environment(std::map<std::string, std::string, std::less<>>(values));
}

std::string PathFor(const Invocation& invocation, const Environment& env) {
  Result<std::string> path = ResolveConfigPath(invocation, env);
  return path.ok() ? path.value() : "error: " + path.status().message();
}

std::string NormalizedUrl(std::string_view url) {
  Result<std::string> normalized = NormalizeServerUrl(url);
  return normalized.ok() ? normalized.value() : "error: " + normalized.status().message();
}

ConfigFile FileWith(std::string server, std::string token) {
  ConfigFile file;
  file.data = {{"server", std::move(server)}, {"token", std::move(token)}};
  file.exists = true;
  return file;
}

class CliConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("klaxon_cli_config_test." + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(CliConfigTest, ConfigPathPrecedence) {
  const Environment env = Env(
      {{"KLAXON_CLI_CONFIG", "/env/cli.json"}, {"XDG_CONFIG_HOME", "/xdg"}, {"HOME", "/home/u"}});
  EXPECT_EQ(PathFor(WithOptions({{"config", "/flag.json"}}), env), "/flag.json");
  EXPECT_EQ(PathFor(Invocation(), env), "/env/cli.json");
  EXPECT_EQ(PathFor(Invocation(), Env({{"XDG_CONFIG_HOME", "/xdg"}, {"HOME", "/home/u"}})),
            "/xdg/klaxon/cli.json");
  EXPECT_EQ(PathFor(Invocation(), Env({{"HOME", "/home/u"}})), "/home/u/.config/klaxon/cli.json");
  EXPECT_EQ(PathFor(Invocation(), Env({{"KLAXON_CLI_CONFIG", ""}, {"HOME", "/home/u"}})),
            "/home/u/.config/klaxon/cli.json");  // Empty counts as unset.
  EXPECT_FALSE(ResolveConfigPath(Invocation(), Environment()).ok());
}

TEST_F(CliConfigTest, ServerPrecedenceIsFlagEnvFileDefault) {
  const ConfigFile file = FileWith("http://file:1", "");
  const Environment env = Env({{"KLAXON_SERVER", "http://env:1"}});
  EXPECT_EQ(ResolveConnection(WithOptions({{"server", "http://flag:1/"}}), env, file)->server,
            "http://flag:1");
  EXPECT_EQ(ResolveConnection(Invocation(), env, file)->server, "http://env:1");
  EXPECT_EQ(ResolveConnection(Invocation(), Environment(), file)->server, "http://file:1");
  EXPECT_EQ(ResolveConnection(Invocation(), Environment(), ConfigFile())->server,
            "http://127.0.0.1:8080");
}

TEST_F(CliConfigTest, TokenPrecedenceIsFlagEnvFile) {
  const ConfigFile file = FileWith("http://127.0.0.1:8080", "kx_file");
  const Environment env = Env({{"KLAXON_TOKEN", "kx_env"}});
  EXPECT_EQ(ResolveConnection(WithOptions({{"token", "kx_flag"}}), env, file)->token, "kx_flag");
  EXPECT_EQ(ResolveConnection(Invocation(), env, file)->token, "kx_env");
  EXPECT_EQ(ResolveConnection(Invocation(), Environment(), file)->token, "kx_file");
  EXPECT_EQ(ResolveConnection(Invocation(), Environment(), ConfigFile())->token, "");

  EXPECT_EQ(ResolveConnection(WithOptions({{"token", "kx_flag"}}), env, file)->token_source,
            TokenSource::kFlag);
  EXPECT_EQ(ResolveConnection(Invocation(), env, file)->token_source, TokenSource::kEnvironment);
  EXPECT_EQ(ResolveConnection(Invocation(), Environment(), file)->token_source,
            TokenSource::kConfigFile);
  EXPECT_EQ(ResolveConnection(Invocation(), Environment(), ConfigFile())->token_source,
            TokenSource::kNone);
}

TEST_F(CliConfigTest, FileTokenOnlyGoesToItsOwnServer) {
  const ConfigFile file = FileWith("http://prod:8080/", "kx_file");
  EXPECT_EQ(ResolveConnection(Invocation(), Environment(), file)->token, "kx_file");
  EXPECT_EQ(
      ResolveConnection(WithOptions({{"server", "http://prod:8080"}}), Environment(), file)->token,
      "kx_file");
  EXPECT_EQ(
      ResolveConnection(WithOptions({{"server", "http://evil:8080"}}), Environment(), file)->token,
      "");
  EXPECT_EQ(
      ResolveConnection(Invocation(), Env({{"KLAXON_SERVER", "http://other:1"}}), file)->token, "");
}

TEST_F(CliConfigTest, RejectsBadServersAndTokens) {
  for (const char* url : {"localhost:8080", "ftp://x", "http://", "http://a b", "file:///etc"}) {
    EXPECT_FALSE(
        ResolveConnection(WithOptions({{"server", url}}), Environment(), ConfigFile()).ok())
        << url;
  }
  EXPECT_FALSE(
      ResolveConnection(WithOptions({{"token", "kx_a\r\nX-Evil: 1"}}), Environment(), ConfigFile())
          .ok());
  EXPECT_EQ(NormalizedUrl("https://k.example.com//"), "https://k.example.com");
}

TEST_F(CliConfigTest, MissingFileIsEmpty) {
  Result<ConfigFile> file = LoadConfigFile((dir_ / "absent.json").string());
  ASSERT_TRUE(file.ok());
  EXPECT_FALSE(file->exists);
  EXPECT_EQ(file->token(), "");
}

TEST_F(CliConfigTest, MalformedFileIsAnError) {
  const std::string path = (dir_ / "bad.json").string();
  std::ofstream(path) << "{not json";
  Result<ConfigFile> file = LoadConfigFile(path);
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find(path), std::string::npos);
  std::ofstream(path, std::ios::trunc) << "[1]";
  EXPECT_FALSE(LoadConfigFile(path).ok());
}

TEST_F(CliConfigTest, SavesWithMode0600InANewPrivateDirectoryAndKeepsOtherKeys) {
  ConfigFile file;
  file.path = (dir_ / "sub" / "cli.json").string();
  file.data = {{"server", "http://s:1"}, {"token", "kx_secret"}, {"editor", "vi"}};
  ASSERT_TRUE(SaveConfigFile(file).ok());

  struct stat info {};
  ASSERT_EQ(::stat(file.path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_ / "sub").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);

  Result<ConfigFile> loaded = LoadConfigFile(file.path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->server(), "http://s:1");
  EXPECT_EQ(loaded->token(), "kx_secret");
  EXPECT_EQ(loaded->data["editor"], "vi");
}

TEST_F(CliConfigTest, SavingOverAWorldReadableFileMakesIt0600) {
  const std::string path = (dir_ / "cli.json").string();
  std::ofstream(path) << "{}";
  ::chmod(path.c_str(), 0644);
  ConfigFile file;
  file.path = path;
  file.data = {{"token", "kx_secret"}};
  ASSERT_TRUE(SaveConfigFile(file).ok());
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(CliConfigTest, SaveReportsUnwritableLocations) {
  ConfigFile file;
  file.path = (dir_ / "not-a-dir").string();
  std::ofstream(file.path) << "x";
  file.path += "/cli.json";
  EXPECT_FALSE(SaveConfigFile(file).ok());
}

}  // namespace
}  // namespace klaxon::cli
