// The fixture the command tests share: a FakeServer that records the requests the CLI
// sends and answers from a script, fake clients and prompter, a temporary config file, and
// a manual clock at 2026-11-25T22:45:41.123Z. Test-only; one fixture per test.
#pragma once

#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/time_format.h"

namespace klaxon::cli {

// The other end of the fake clients: records what they send, answers from a script.
struct FakeServer {
  std::vector<HttpRequest> requests;
  std::vector<Connection> connections;  // Per request: the server URL and token used.
  std::deque<HttpResponse> replies;

  void Reply(int status, const nlohmann::json& body) {
    replies.push_back({status, body.dump(), ""});
  }
  void ReplyRaw(int status, std::string body) { replies.push_back({status, std::move(body), ""}); }
  void Unreachable(std::string error) { replies.push_back({0, "", std::move(error)}); }

  nlohmann::json body(size_t i) const { return nlohmann::json::parse(requests.at(i).body.value()); }
};

class FakeHttpClient final : public HttpClient {
 public:
  FakeHttpClient(FakeServer& server, Connection connection)
      : server_(server), connection_(std::move(connection)) {}

  HttpResponse Send(const HttpRequest& request) override {
    server_.requests.push_back(request);
    server_.connections.push_back(connection_);
    if (server_.replies.empty()) return {500, R"({"detail":"no reply scripted"})", ""};
    HttpResponse reply = std::move(server_.replies.front());
    server_.replies.pop_front();
    return reply;
  }

 private:
  FakeServer& server_;
  Connection connection_;
};

class FakePrompter final : public Prompter {
 public:
  std::optional<std::string> Ask(std::string_view prompt, bool secret) override {
    asked.emplace_back(std::string(prompt), secret);
    if (answers.empty()) return std::nullopt;
    std::optional<std::string> answer = answers.front();
    answers.pop_front();
    return answer;
  }

  std::deque<std::optional<std::string>> answers;
  std::vector<std::pair<std::string, bool>> asked;
};

inline nlohmann::json Incident(int id, std::string status = "triggered") {
  return {{"id", id},
          {"ref", "INC-" + std::to_string(id)},
          {"title", "Checkout errors"},
          {"description", ""},
          {"impact", ""},
          {"severity", "SEV-2"},
          {"status", std::move(status)},
          {"service", nullptr},
          {"created_at", "2026-11-25T22:40:41.123Z"},
          {"updated_at", "2026-11-25T22:40:41.123Z"},
          {"acknowledged_at", nullptr},
          {"resolved_at", nullptr},
          {"created_by", "admin"},
          {"resolution_summary", ""}};
}

inline nlohmann::json Problem(int status, std::string detail) {
  return {{"type", "https://klaxon.dev/problems/x"},
          {"title", "x"},
          {"status", status},
          {"detail", std::move(detail)},
          {"request_id", "r-000001"}};
}

class CliCommandsTest : public ::testing::Test {
 protected:
  static constexpr const char* kServer = "http://klaxon.test:8080";
  static constexpr const char* kToken = "kx_s3cr3t";

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("klaxon_cli_commands_test." + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_path_ = (dir_ / "cli.json").string();
    env_ = {{"KLAXON_CLI_CONFIG", config_path_}, {"HOME", dir_.string()}};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteConfig(const nlohmann::json& data) { std::ofstream(config_path_) << data.dump(); }
  nlohmann::json ReadConfig() const {
    std::ifstream in(config_path_);
    return nlohmann::json::parse(in);
  }
  void LoggedIn() { WriteConfig({{"server", kServer}, {"token", kToken}}); }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    Context context{
        .out = out_,
        .err = err_,
        .env = Environment(env_),
        .prompter = prompter_,
        .clock = clock_,
        .make_client =
            [this](const Connection& connection) {
              return std::make_unique<FakeHttpClient>(server_, connection);
            },
        .hostname = "testhost",
    };
    return Execute(context, args);
  }

  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }

  std::filesystem::path dir_;
  std::string config_path_;
  std::map<std::string, std::string, std::less<>> env_;
  FakeServer server_;
  FakePrompter prompter_;
  ManualClock clock_{*ParseTime("2026-11-25T22:45:41.123Z")};
  std::ostringstream out_;
  std::ostringstream err_;
};

}  // namespace klaxon::cli
