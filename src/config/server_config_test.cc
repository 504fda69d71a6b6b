#include "config/server_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

namespace klaxon::config {
namespace {

using ::testing::HasSubstr;

using Env = std::map<std::string, std::string>;

class ServerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/klaxon_config_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // The error of a load that must fail; its first field must be `field`.
  Status LoadError(const std::vector<std::string>& args, const Env& env = {}) {
    auto r = LoadServerConfig(args, env);
    EXPECT_FALSE(r.ok());
    return r.ok() ? Status::Ok() : r.status();
  }

  std::string dir_;
};

std::string Field(const Status& s) { return s.fields().empty() ? "" : s.fields()[0].field; }

TEST_F(ServerConfigTest, Defaults) {
  auto r = LoadServerConfig({}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ServerConfig& c = *r;
  EXPECT_EQ(c.listen_host, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 8080);
  EXPECT_EQ(c.data_dir, "./var");
  EXPECT_EQ(c.StoreUrl(), "sqlite:./var/klaxon.db");
  EXPECT_EQ(c.PublicUrl(), "http://127.0.0.1:8080");
  EXPECT_FALSE(c.manual_clock);
  EXPECT_GE(c.threads, 1);
  EXPECT_EQ(c.threads, std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2));
  EXPECT_EQ(c.max_body, 1 << 20);
  EXPECT_EQ(c.max_header, 16384);
  EXPECT_EQ(c.read_timeout_s, 30);
  EXPECT_EQ(c.idle_timeout_s, 60);
  EXPECT_EQ(c.max_connections, 10000);
  EXPECT_EQ(c.drain_timeout_s, 20);
  EXPECT_EQ(c.session_ttl_hours, 12);
  EXPECT_EQ(c.admin_password, "");
  EXPECT_FALSE(c.demo);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_TRUE(c.sqlite_sync_full);
}

TEST_F(ServerConfigTest, FlagsWithSpaceOrEquals) {
  auto r = LoadServerConfig({"--listen", "0.0.0.0:9000", "--max-body=4096", "--clock", "manual",
                             "--data=/srv/klaxon", "--threads", "3", "--sqlite-sync", "normal"},
                            {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->listen_host, "0.0.0.0");
  EXPECT_EQ(r->listen_port, 9000);
  EXPECT_EQ(r->max_body, 4096);
  EXPECT_TRUE(r->manual_clock);
  EXPECT_EQ(r->data_dir, "/srv/klaxon");
  EXPECT_EQ(r->StoreUrl(), "sqlite:/srv/klaxon/klaxon.db");
  EXPECT_EQ(r->threads, 3);
  EXPECT_FALSE(r->sqlite_sync_full);
  EXPECT_EQ(r->PublicUrl(), "http://0.0.0.0:9000");
}

TEST_F(ServerConfigTest, ValueMayContainEqualsSign) {
  auto r = LoadServerConfig({"--admin-password=a=b=c=d=e"}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->admin_password, "a=b=c=d=e");
}

TEST_F(ServerConfigTest, Ipv6ListenAddress) {
  auto r = LoadServerConfig({"--listen", "[::1]:8443"}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->listen_host, "::1");
  EXPECT_EQ(r->listen_port, 8443);
}

TEST_F(ServerConfigTest, BoolFlagWithoutValue) {
  auto r = LoadServerConfig({"--demo", "--clock", "manual"}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->demo);
  EXPECT_TRUE(r->manual_clock);
  r = LoadServerConfig({"--demo"}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->demo);
  r = LoadServerConfig({"--demo", "false"}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->demo);
  r = LoadServerConfig({"--demo=no"}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->demo);
}

TEST_F(ServerConfigTest, PublicUrlLosesTrailingSlashes) {
  auto r = LoadServerConfig({"--public-url", "https://klaxon.example.com//"}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->PublicUrl(), "https://klaxon.example.com");
}

TEST_F(ServerConfigTest, EnvironmentVariables) {
  EXPECT_EQ(EnvName("max-body"), "KLAXON_MAX_BODY");
  EXPECT_EQ(EnvName("listen"), "KLAXON_LISTEN");
  auto r = LoadServerConfig({}, {{"KLAXON_LISTEN", "10.0.0.1:81"},
                                 {"KLAXON_MAX_BODY", "2048"},
                                 {"KLAXON_LOG_LEVEL", "debug"},
                                 {"KLAXON_DB", "sqlite:/x/y.db"},
                                 {"HOME", "/root"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->listen_host, "10.0.0.1");
  EXPECT_EQ(r->listen_port, 81);
  EXPECT_EQ(r->max_body, 2048);
  EXPECT_EQ(r->log_level, "debug");
  EXPECT_EQ(r->StoreUrl(), "sqlite:/x/y.db");
}

TEST_F(ServerConfigTest, ConfigFile) {
  std::string path = WriteFile("klaxon.yaml",
                               "# comment\n"
                               "listen: 0.0.0.0:7070\n"
                               "max-body: 8192\n"
                               "demo: true\n"
                               "clock: manual\n"
                               "public-url: https://ops.example.com/\n");
  auto r = LoadServerConfig({"--config", path}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->listen_port, 7070);
  EXPECT_EQ(r->max_body, 8192);
  EXPECT_TRUE(r->demo);
  EXPECT_TRUE(r->manual_clock);
  EXPECT_EQ(r->PublicUrl(), "https://ops.example.com");
}

TEST_F(ServerConfigTest, ConfigFileFromEnvironment) {
  std::string path = WriteFile("k.yaml", "max-body: 8192\n");
  auto r = LoadServerConfig({}, {{"KLAXON_CONFIG", path}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->max_body, 8192);
}

TEST_F(ServerConfigTest, EmptyConfigFileIsFine) {
  std::string path = WriteFile("empty.yaml", "# nothing yet\n");
  auto r = LoadServerConfig({"--config=" + path}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->max_body, 1 << 20);
}

TEST_F(ServerConfigTest, PrecedenceFlagOverEnvOverFileOverDefault) {
  std::string path = WriteFile("k.yaml",
                               "max-body: 3000\n"
                               "max-header: 3000\n"
                               "read-timeout: 3\n");
  Env env = {{"KLAXON_MAX_BODY", "2000"}, {"KLAXON_MAX_HEADER", "2000"}};
  auto r = LoadServerConfig({"--max-body", "1500", "--config", path}, env);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->max_body, 1500);       // flag
  EXPECT_EQ(r->max_header, 2000);     // env over file
  EXPECT_EQ(r->read_timeout_s, 3);    // file over default
  EXPECT_EQ(r->drain_timeout_s, 20);  // default
}

TEST_F(ServerConfigTest, ConfigFlagWinsOverConfigEnv) {
  std::string from_flag = WriteFile("a.yaml", "max-body: 1111\n");
  std::string from_env = WriteFile("b.yaml", "max-body: 2222\n");
  auto r = LoadServerConfig({"--config", from_flag}, {{"KLAXON_CONFIG", from_env}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->max_body, 1111);
}

TEST_F(ServerConfigTest, UnknownFlagIsNamed) {
  Status s = LoadError({"--listen", "127.0.0.1:1", "--max-bdoy", "5"});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(Field(s), "--max-bdoy");
  EXPECT_THAT(s.message(), HasSubstr("--max-bdoy"));
  s = LoadError({"--nope=1"});
  EXPECT_EQ(Field(s), "--nope");
}

TEST_F(ServerConfigTest, PositionalArgumentIsAnError) {
  Status s = LoadError({"extra"});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("extra"));
}

TEST_F(ServerConfigTest, FlagWithoutValueIsNamed) {
  Status s = LoadError({"--listen"});
  EXPECT_EQ(Field(s), "--listen");
  EXPECT_THAT(s.message(), HasSubstr("needs a value"));
}

TEST_F(ServerConfigTest, BadValuesNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string flag;
  };
  for (const auto& c : std::vector<Case>{
           {{"--listen", "nope"}, "--listen"},
           {{"--listen", "host:99999"}, "--listen"},
           {{"--listen", "host:http"}, "--listen"},
           {{"--threads", "0"}, "--threads"},
           {{"--threads", "257"}, "--threads"},
           {{"--threads", "two"}, "--threads"},
           {{"--threads", "3x"}, "--threads"},
           {{"--threads", ""}, "--threads"},
           {{"--clock", "weird"}, "--clock"},
           {{"--max-body", "10"}, "--max-body"},
           {{"--session-ttl", "0"}, "--session-ttl"},
           {{"--admin-password", "short"}, "--admin-password"},
           {{"--demo", "maybe"}, "--demo"},
           {{"--log-level", "verbose"}, "--log-level"},
           {{"--sqlite-sync", "off"}, "--sqlite-sync"},
           {{"--public-url", "klaxon.example.com"}, "--public-url"},
           {{"--db", "mysql://x"}, "--db"},
           {{"--data", ""}, "--data"},
       }) {
    auto r = LoadServerConfig(c.args, {});
    ASSERT_FALSE(r.ok()) << c.args[0] << " " << c.args[1];
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(Field(r.status()), c.flag) << c.args[1];
    EXPECT_THAT(r.status().message(), HasSubstr(c.flag));
  }
}

// BUG (cosmetic): LoadServerConfig passes a message that already starts with the flag to
// InvalidField(), which prefixes "invalid field <flag>: " again, so `klaxon serve` prints
// "invalid field --threads: --threads: must be between 1 and 256".
TEST_F(ServerConfigTest, ErrorMessageNamesTheFlagOnce) {
  Status s = LoadError({"--threads", "0"});
  std::string m = s.message();
  size_t first = m.find("--threads");
  ASSERT_NE(first, std::string::npos) << m;
  EXPECT_EQ(m.find("--threads", first + 1), std::string::npos) << m;
}

TEST_F(ServerConfigTest, BadEnvironmentValueNamesTheVariable) {
  Status s = LoadError({}, {{"KLAXON_THREADS", "0"}});
  EXPECT_EQ(Field(s), "KLAXON_THREADS");
  EXPECT_THAT(s.message(), HasSubstr("KLAXON_THREADS"));
}

TEST_F(ServerConfigTest, BadFlagWinsOverGoodEnvButIsStillAnError) {
  Status s = LoadError({"--threads", "0"}, {{"KLAXON_THREADS", "4"}});
  EXPECT_EQ(Field(s), "--threads");
}

TEST_F(ServerConfigTest, ConfigFileUnknownKeyNamesFileLineAndKey) {
  std::string path = WriteFile("k.yaml",
                               "listen: 127.0.0.1:9999\n"
                               "demo: false\n"
                               "max_body: 4096\n");
  Status s = LoadError({"--config", path});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(Field(s), path + ":3:max_body");
  EXPECT_THAT(s.message(), HasSubstr(path + ":3:max_body"));
  EXPECT_THAT(s.message(), HasSubstr("unknown option"));
}

TEST_F(ServerConfigTest, ConfigFileMayNotNameAnotherConfigFile) {
  std::string path = WriteFile("k.yaml", "config: other.yaml\n");
  Status s = LoadError({"--config", path});
  EXPECT_EQ(Field(s), path + ":1:config");
}

TEST_F(ServerConfigTest, ConfigFileBadValueNamesFileLineAndKey) {
  std::string path = WriteFile("k.yaml",
                               "# threads below\n"
                               "\n"
                               "threads: 0\n");
  Status s = LoadError({"--config", path});
  EXPECT_EQ(Field(s), path + ":3:threads");
  EXPECT_THAT(s.message(), HasSubstr("between 1 and 256"));
}

TEST_F(ServerConfigTest, ConfigFileNonScalarValue) {
  std::string path = WriteFile("k.yaml", "listen:\n  - a\n  - b\n");
  Status s = LoadError({"--config", path});
  EXPECT_EQ(Field(s), path + ":1:listen");
}

TEST_F(ServerConfigTest, MalformedYamlNamesItsLine) {
  std::string path = WriteFile("k.yaml",
                               "listen: 127.0.0.1:9999\n"
                               "demo: false\n"
                               "max-body: [4096\n"
                               "threads: 4\n");
  Status s = LoadError({"--config", path});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  ASSERT_FALSE(s.fields().empty());
  EXPECT_TRUE(Field(s).starts_with(path + ":")) << Field(s);
  int line = std::stoi(Field(s).substr(path.size() + 1));
  EXPECT_GE(line, 3);
  EXPECT_LE(line, 5);
}

TEST_F(ServerConfigTest, MalformedYamlOnAnExactLine) {
  std::string path = WriteFile("k.yaml",
                               "listen: 127.0.0.1:9999\n"
                               "demo: \"unterminated\n");
  Status s = LoadError({"--config", path});
  EXPECT_TRUE(Field(s).starts_with(path + ":")) << Field(s);
  EXPECT_THAT(s.message(), HasSubstr(path + ":"));
}

TEST_F(ServerConfigTest, ConfigFileMustBeAMapping) {
  std::string path = WriteFile("k.yaml", "- listen\n- demo\n");
  Status s = LoadError({"--config", path});
  EXPECT_EQ(Field(s), path + ":1");
}

TEST_F(ServerConfigTest, MissingConfigFileIsNamed) {
  std::string path = dir_ + "/does-not-exist.yaml";
  Status s = LoadError({"--config", path});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(path));
}

TEST_F(ServerConfigTest, HelpAndMarkdownMentionEveryOption) {
  std::string help = ServeHelp();
  std::string md = ConfigMarkdown();
  ASSERT_GE(Options().size(), 16u);
  for (const Option& o : Options()) {
    std::string flag = "--" + std::string(o.name);
    EXPECT_THAT(help, HasSubstr(flag + " ")) << o.name;
    EXPECT_THAT(help, HasSubstr(std::string(o.help))) << o.name;
    EXPECT_THAT(md, HasSubstr("`" + flag + "`")) << o.name;
    EXPECT_THAT(md, HasSubstr("`" + EnvName(o.name) + "`")) << o.name;
    EXPECT_THAT(md, HasSubstr(std::string(o.help))) << o.name;
  }
}

TEST_F(ServerConfigTest, SecretOptionsAreMarkedInTheDocs) {
  std::string md = ConfigMarkdown();
  for (const Option& o : Options()) {
    if (!o.secret) continue;
    std::string row = md.substr(md.find("| `--" + std::string(o.name) + "`"));
    row = row.substr(0, row.find('\n'));
    EXPECT_THAT(row, HasSubstr("| yes |")) << row;
  }
}

TEST_F(ServerConfigTest, EveryOptionIsAcceptedAsAFlagEnvAndFileKey) {
  // A valid example value per option type, so a table entry that no source can set fails.
  auto example = [](const Option& o) -> std::string {
    if (o.name == "listen") return "127.0.0.1:1234";
    if (o.name == "status-listen") return "0.0.0.0:8081";
    if (o.name == "db") return "sqlite:/tmp/x.db";
    if (o.name == "public-url") return "https://x.example";
    if (o.name == "clock") return "manual";
    if (o.name == "clock-start") return "2026-11-25T14:00:00-05:00";
    if (o.name == "log-level") return "warn";
    if (o.name == "sqlite-sync") return "normal";
    if (o.name == "admin-password") return "correct-horse";
    if (o.name == "threads") return "8";
    if (o.name == "smtp-url") return "smtp://127.0.0.1:2525";
    if (o.name == "smtp-from") return "klaxon@example.test";
    if (o.name == "smtp-starttls") return "required";
    if (o.type == "bool") return "true";
    if (o.type == "int") return "2048";
    return "something";
  };
  for (const Option& o : Options()) {
    if (o.name == "config") continue;
    std::string v = example(o);
    auto by_flag = LoadServerConfig({"--" + std::string(o.name), v}, {});
    EXPECT_TRUE(by_flag.ok()) << o.name << ": " << by_flag.status().ToString();
    auto by_env = LoadServerConfig({}, {{EnvName(o.name), v}});
    EXPECT_TRUE(by_env.ok()) << o.name << ": " << by_env.status().ToString();
    std::string path = WriteFile("each.yaml", std::string(o.name) + ": \"" + v + "\"\n");
    auto by_file = LoadServerConfig({"--config", path}, {});
    EXPECT_TRUE(by_file.ok()) << o.name << ": " << by_file.status().ToString();
  }
}

}  // namespace
}  // namespace klaxon::config
