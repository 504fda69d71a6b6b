// The `klaxon` command-line client: every subcommand except `serve` and `admin`.
//
// Talks HTTP to a Klaxon server (docs/api.md) with libcurl. Stateless apart from the
// config file it reads and `klaxon login` writes.
#pragma once

#include <string>
#include <vector>

namespace klaxon::cli {

// Runs the client subcommand in argv[1] ("login", "incident", ...). Returns the process
// exit code: 0 on success, 1 on a server or usage error (message on stderr), 2 on usage.
int Run(int argc, char** argv);

// True when argv[1] names a client subcommand.
bool IsClientCommand(const char* name);
// The client's commands and command groups ("incident", "login", "drill"...), in the order
// of the command table, each once: what `klaxon --help` lists.
std::vector<std::string> ClientCommandNames();

}  // namespace klaxon::cli
