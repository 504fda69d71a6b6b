// Command-line parsing for the client: a table of options and a table of subcommands in,
// an Invocation (which command, its positional arguments, its option values) out.
//
// The command is the longest path in the table that the first words spell (up to three:
// `status component set`, then `incident list`, then `login`); the words after it are its
// arguments.
//
// Options are `--name VALUE`, `--name=VALUE` or `--name` (flags), and `-x VALUE` for the
// few that have a one-letter form; global options may appear anywhere, the others only
// with the commands that list them; `--` ends options. An option given twice keeps its
// last value, except that a repeatable one (--matcher A --matcher B) keeps every value.
// Help text and usage lines are generated from the same tables. Pure functions over
// caller-owned tables; the CommandSpec pointers in an Invocation point into the table.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace klaxon::cli {

struct Context;
struct Invocation;

// Process exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // The server said no, or it could not be reached.
inline constexpr int kExitUsage = 2;  // The command line was wrong.

using Handler = int (*)(Context& context, const Invocation& invocation);

struct OptionSpec {
  std::string_view name;     // "status" for --status.
  std::string_view metavar;  // "STATUS"; empty for a flag.
  std::string_view help;
  bool global = false;      // Accepted by every command.
  char short_name = '\0';   // 'f' for -f; '\0' for none.
  bool repeatable = false;  // May be given more than once; Invocation::GetAll has every value.

  bool flag() const { return metavar.empty(); }
};

struct OptionUse {
  std::string_view name;
  bool required = false;
  std::string_view help = {};     // Overrides OptionSpec::help for this command.
  std::string_view metavar = {};  // Overrides OptionSpec::metavar for this command.
};

inline constexpr size_t kMaxCommandOptions = 12;

// The most words a command path has ("status component set").
inline constexpr size_t kMaxCommandWords = 3;

// For CommandSpec::first_arg_joins, to name the value in command tables.
inline constexpr bool kFirstArgJoins = true;

// A fixed-size aggregate so that command tables can be constexpr.
struct CommandSpec {
  // "incident list", "status component set": 1..kMaxCommandWords words. The words before
  // the last name the command's group ("incident", "status component"); a group's commands
  // are its subcommands, and a two-word group is listed in its parent's help as one line,
  // "status component ACTION...".
  std::string_view path;
  std::string_view args;  // "ID STATUS"; a last name ending in "..." takes the rest.
  OptionUse options[kMaxCommandOptions] = {};  // Non-global options; unused slots unnamed.
  std::string_view summary;
  Handler handler = nullptr;
  // The first argument takes the words the others leave, joined with blanks, so that a name
  // with blanks needs no quotes: `status component set Checkout API major` sets "Checkout
  // API". Usage lines show it as one name.
  bool first_arg_joins = false;

  // The used slots of `options`.
  std::span<const OptionUse> option_uses() const;
};

struct Invocation {
  const CommandSpec* command = nullptr;  // Null only when help was asked for a group or all.
  bool help = false;                     // --help / -h: print help for `help_topic`.
  // "", a group ("incident", "status component") or a command path.
  std::string help_topic;
  std::vector<std::string> args;
  std::map<std::string, std::string, std::less<>> options;  // Flags map to ""; the last wins.
  // Every value of each option, in command-line order (for repeatable options).
  std::map<std::string, std::vector<std::string>, std::less<>> all_values;

  bool Has(std::string_view name) const { return options.contains(name); }
  // The option's value, or "" when absent.
  std::string Get(std::string_view name) const;
  // Every value the option was given, in order; empty when absent.
  std::vector<std::string> GetAll(std::string_view name) const;
};

struct ParseResult {
  Invocation invocation;
  std::string error;  // Empty on success.
  std::string usage;  // With an error: the usage line of the command or group involved.

  bool ok() const { return error.empty(); }
};

class Parser {
 public:
  Parser(std::span<const CommandSpec> commands, std::span<const OptionSpec> options)
      : commands_(commands), options_(options) {}

  // `args` excludes the program name: {"incident", "list", "--limit", "5"}.
  ParseResult Parse(const std::vector<std::string>& args) const;

  // "usage: klaxon incident status ID STATUS [--message TEXT]"; a repeatable option shows
  // as "--matcher MATCHER..." (or "[--label LABEL]...").
  std::string Usage(const CommandSpec& command) const;
  // Help for "" (everything), a group, or a command path; nullopt if there is no such topic.
  std::optional<std::string> Help(std::string_view topic) const;

  const OptionSpec* FindOption(std::string_view name) const;
  const OptionSpec* FindShortOption(char short_name) const;
  const CommandSpec* FindCommand(std::string_view path) const;
  // Whether `path` ("incident", "status", "status component") is the group of some command
  // or of a group of commands: whether some command's path continues it by a word or more.
  bool IsGroup(std::string_view path) const;

 private:
  std::string GroupUsage(std::string_view group) const;
  std::string GroupSummary(std::string_view group) const;
  std::string CommandHelp(const CommandSpec& command) const;
  std::string Listing(std::string_view group) const;
  std::string GlobalOptionsHelp() const;
  ParseResult Fail(std::string error, std::string usage) const;
  std::optional<std::string> Bind(const CommandSpec& command, std::vector<std::string> words,
                                  Invocation& invocation) const;

  std::span<const CommandSpec> commands_;
  std::span<const OptionSpec> options_;
};

}  // namespace klaxon::cli
