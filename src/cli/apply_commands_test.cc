#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/commands_test_fixture.h"

namespace klaxon::cli {
namespace {

class CliApplyCommandsTest : public CliCommandsTest {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::filesystem::path p = dir_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
};

TEST_F(CliApplyCommandsTest, ApplySendsADirectorysYamlFilesInNameOrder) {
  LoggedIn();
  Write("pb/b.yml", "services: []\n");
  Write("pb/a.yaml", "users: []\n");
  Write("pb/notes.txt", "ignored");
  std::string one = Write("one.yaml", "roles: []\n");
  server_.Reply(200, {{"changes", nlohmann::json::array()},
                      {"diff",
                       "+ service \"checkout\"\n1 to create, 0 to update, 0 to delete, "
                       "0 unchanged"},
                      {"applied", false}});
  ASSERT_EQ(Run({"apply", "-f", (dir_ / "pb").string(), "-f", one, "--dry-run"}), kExitOk) << err();
  ASSERT_EQ(server_.requests.size(), 1u);
  EXPECT_EQ(server_.requests[0].method, "POST");
  EXPECT_EQ(server_.requests[0].path, "/api/v1/apply");
  auto body = nlohmann::json::parse(*server_.requests[0].body);
  ASSERT_EQ(body["files"].size(), 3u);
  EXPECT_EQ(body["files"][0]["name"], (dir_ / "pb" / "a.yaml").string());
  EXPECT_EQ(body["files"][0]["text"], "users: []\n");
  EXPECT_EQ(body["files"][1]["name"], (dir_ / "pb" / "b.yml").string());
  EXPECT_EQ(body["files"][2]["name"], one);
  EXPECT_EQ(body["dry_run"], true);
  EXPECT_EQ(body["prune"], false);
  EXPECT_EQ(out(),
            "+ service \"checkout\"\n1 to create, 0 to update, 0 to delete, 0 unchanged\n"
            "dry run: nothing was changed\n");
}

TEST_F(CliApplyCommandsTest, ApplyPrintsProblemsOneALine) {
  LoggedIn();
  std::string f = Write("bad.yaml", "severities: []\n");
  server_.Reply(422, {{"title", "Unprocessable"},
                      {"status", 422},
                      {"detail",
                       "bad.yaml:3: severities[0].ack_target: must be a duration\n"
                       "bad.yaml:9: services[0].nam: unknown key"},
                      {"errors", nlohmann::json::array()}});
  EXPECT_EQ(Run({"apply", "-f", f}), kExitError);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(),
            "bad.yaml:3: severities[0].ack_target: must be a duration\n"
            "bad.yaml:9: services[0].nam: unknown key\n"
            "klaxon: the playbook is invalid; nothing was applied\n");
}

TEST_F(CliApplyCommandsTest, ApplyNeedsReadableFiles) {
  LoggedIn();
  EXPECT_EQ(Run({"apply", "-f", (dir_ / "missing.yaml").string()}), kExitError);
  EXPECT_NE(err().find("cannot read"), std::string::npos) << err();
  std::filesystem::create_directories(dir_ / "empty");
  EXPECT_EQ(Run({"apply", "-f", (dir_ / "empty").string()}), kExitError);
  EXPECT_NE(err().find("no *.yaml or *.yml files"), std::string::npos) << err();
  EXPECT_TRUE(server_.requests.empty());
}

TEST_F(CliApplyCommandsTest, ExportWritesTheYaml) {
  LoggedIn();
  server_.Reply(200, {{"yaml", "services:\n  - name: checkout\n"}});
  ASSERT_EQ(Run({"export"}), kExitOk) << err();
  EXPECT_EQ(server_.requests[0].path, "/api/v1/export");
  EXPECT_EQ(out(), "services:\n  - name: checkout\n");
  server_.Reply(200, {{"yaml", "users: []\n"}});
  std::string path = (dir_ / "org.yaml").string();
  ASSERT_EQ(Run({"export", "-o", path}), kExitOk) << err();
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "users: []\n");
  EXPECT_EQ(out(), "");
}

}  // namespace
}  // namespace klaxon::cli
