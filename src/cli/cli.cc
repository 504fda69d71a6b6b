#include "cli/cli.h"

#include <algorithm>

#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/http_client.h"
#include "cli/prompter.h"
#include "core/clock.h"

namespace klaxon::cli {

namespace {

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

}  // namespace

int Run(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  TerminalPrompter prompter;
  SystemClock clock;
  Context context{
      .out = std::cout,
      .err = std::cerr,
      .env = Environment::FromProcess(),
      .prompter = prompter,
      .clock = clock,
      .make_client =
          [](const Connection& connection) {
            return std::make_unique<CurlHttpClient>(connection.server, connection.token);
          },
      .hostname = HostName(),
  };
  const int exit_code = Execute(context, args);
  std::cout.flush();
  return exit_code;
}

bool IsClientCommand(const char* name) {
  if (name == nullptr || std::string_view(name).find(' ') != std::string_view::npos) return false;
  const Parser parser(CommandTable(), OptionTable());
  return parser.FindCommand(name) != nullptr || parser.IsGroup(name);
}

std::vector<std::string> ClientCommandNames() {
  std::vector<std::string> names;
  for (const CommandSpec& c : CommandTable()) {
    std::string first(c.path.substr(0, c.path.find(' ')));
    if (std::find(names.begin(), names.end(), first) == names.end()) names.push_back(first);
  }
  return names;
}

}  // namespace klaxon::cli
