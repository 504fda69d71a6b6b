// The client's subcommands: the command and option tables, and Execute(), which parses a
// command line against them and runs the chosen handler.
//
// Everything a command touches outside its own memory comes in through Context: the
// output streams, a snapshot of the environment, the prompter, the clock, the host name,
// and a factory for HTTP clients (the fake in tests, CurlHttpClient in Run()). One Context
// per invocation; it borrows the streams, prompter and clock, which must outlive it.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/config.h"
#include "cli/http_client.h"
#include "cli/prompter.h"
#include "core/clock.h"

namespace klaxon::cli {

using ClientFactory = std::function<std::unique_ptr<HttpClient>(const Connection& connection)>;

struct Context {
  std::ostream& out;
  std::ostream& err;
  Environment env;
  Prompter& prompter;
  const Clock& clock;
  ClientFactory make_client;
  std::string hostname;  // For the login token's name, "cli@<hostname>".
};

std::span<const CommandSpec> CommandTable();
std::span<const OptionSpec> OptionTable();

// Runs the command line `args` (without the program name) and returns the exit code.
int Execute(Context& context, const std::vector<std::string>& args);

}  // namespace klaxon::cli
