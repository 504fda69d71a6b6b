#include "cli/args.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "cli/cli.h"
#include "cli/commands.h"

namespace klaxon::cli {
namespace {

class CliArgsTest : public ::testing::Test {
 protected:
  ParseResult Parse(std::vector<std::string> args) { return parser_.Parse(args); }

  Parser parser_{CommandTable(), OptionTable()};
};

TEST_F(CliArgsTest, FindsTwoWordCommandsWithArgumentsAndOptions) {
  const ParseResult result =
      Parse({"incident", "status", "INC-4", "monitoring", "--message", "fix deployed"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.command->path, "incident status");
  EXPECT_EQ(result.invocation.args, (std::vector<std::string>{"INC-4", "monitoring"}));
  EXPECT_EQ(result.invocation.Get("message"), "fix deployed");
}

TEST_F(CliArgsTest, FindsThreeWordCommands) {
  ParseResult result = Parse({"status", "component", "set", "Shop", "major"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.command->path, "status component set");
  EXPECT_EQ(result.invocation.args, (std::vector<std::string>{"Shop", "major"}));

  result = Parse({"--json", "status", "--server", "http://x:1", "incident", "publish", "--name",
                  "Down", "--message", "We are on it", "--component", "Shop=major"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.command->path, "status incident publish");
  EXPECT_TRUE(result.invocation.args.empty());
  EXPECT_EQ(result.invocation.Get("name"), "Down");
  EXPECT_EQ(result.invocation.Get("server"), "http://x:1");

  result = Parse({"status", "maintenance", "schedule", "--name", "DB", "--start", "+1h",
                  "--duration", "2h", "--manual"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.command->path, "status maintenance schedule");
  EXPECT_TRUE(result.invocation.Has("manual"));

  // The longest path wins; fewer words are still commands of their own.
  result = Parse({"status", "show"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.command->path, "status show");
  result = Parse({"incident", "show", "list"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.command->path, "incident show");
  EXPECT_EQ(result.invocation.args, (std::vector<std::string>{"list"}));
}

TEST_F(CliArgsTest, AJoiningFirstArgumentTakesTheWordsTheOthersLeave) {
  ParseResult result = Parse({"status", "component", "set", "Checkout", "API", "major"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.args, (std::vector<std::string>{"Checkout API", "major"}));
  result = Parse({"status", "component", "delete", "Checkout", "API"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.args, (std::vector<std::string>{"Checkout API"}));
  result = Parse({"status", "component", "set", "Checkout API"});
  EXPECT_EQ(result.error, "missing STATUS");
  // Other commands still count their arguments.
  result = Parse({"status", "incident", "show", "3", "4"});
  EXPECT_EQ(result.error, "unexpected argument '4'");
}

TEST_F(CliArgsTest, FindsOneWordCommands) {
  const ParseResult result = Parse({"login", "--username=admin", "--password", "pw"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.command->path, "login");
  EXPECT_EQ(result.invocation.Get("username"), "admin");
  EXPECT_EQ(result.invocation.Get("password"), "pw");
}

TEST_F(CliArgsTest, AcceptsGlobalOptionsAnywhere) {
  const ParseResult result = Parse({"--json", "incident", "--server", "http://x:1", "list",
                                    "--limit", "5", "--all", "--token=t"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.command->path, "incident list");
  EXPECT_TRUE(result.invocation.Has("json"));
  EXPECT_TRUE(result.invocation.Has("all"));
  EXPECT_EQ(result.invocation.Get("server"), "http://x:1");
  EXPECT_EQ(result.invocation.Get("token"), "t");
  EXPECT_EQ(result.invocation.Get("limit"), "5");
  EXPECT_FALSE(result.invocation.Has("status"));
}

TEST_F(CliArgsTest, TheLastOptionWins) {
  const ParseResult result = Parse({"incident", "list", "--status", "open", "--status=resolved"});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.invocation.Get("status"), "resolved");
}

TEST_F(CliArgsTest, EmptyValuesArePresent) {
  const ParseResult result = Parse({"incident", "resolve", "7", "--summary="});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.invocation.Has("summary"));
  EXPECT_EQ(result.invocation.Get("summary"), "");
}

TEST_F(CliArgsTest, VariadicLastArgumentJoinsTheRest) {
  const ParseResult result = Parse({"incident", "note", "42", "rolled", "back", "v1.2"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.args, (std::vector<std::string>{"42", "rolled back v1.2"}));
}

TEST_F(CliArgsTest, DoubleDashEndsOptions) {
  const ParseResult result = Parse({"incident", "note", "42", "--", "--json", "-5%"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.args, (std::vector<std::string>{"42", "--json -5%"}));
  EXPECT_FALSE(result.invocation.Has("json"));
}

TEST_F(CliArgsTest, OneLetterOptionsAreAliases) {
  ParseResult result = Parse({"schedule", "create", "-f", "primary.json"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.Get("file"), "primary.json");

  result = Parse({"schedule", "create", "-f"});
  EXPECT_EQ(result.error, "option --file needs a value (FILE)");
  result = Parse({"schedule", "create", "-fprimary.json"});
  EXPECT_EQ(result.error, "unknown option -fprimary.json");
  result = Parse({"schedule", "list", "-f", "x.json"});
  EXPECT_EQ(result.error, "option --file does not apply to 'schedule list'");
  EXPECT_NE(parser_.Help("schedule create").value().find("  -f, --file FILE"), std::string::npos);
  EXPECT_EQ(parser_.Usage(*parser_.FindCommand("schedule create")),
            "usage: klaxon schedule create --file FILE");
}

TEST_F(CliArgsTest, NegativeRelativeTimesAreOptionValues) {
  const ParseResult result = Parse({"oncall", "shifts", "--schedule", "s", "--from", "-2h"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.invocation.Get("from"), "-2h");
}

TEST_F(CliArgsTest, HelpAtEveryLevel) {
  ParseResult result = Parse({"incident", "--help"});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.invocation.help);
  EXPECT_EQ(result.invocation.help_topic, "incident");

  result = Parse({"incident", "declare", "-h"});
  ASSERT_TRUE(result.ok());  // Help wins over the missing --title.
  EXPECT_TRUE(result.invocation.help);
  EXPECT_EQ(result.invocation.help_topic, "incident declare");

  result = Parse({"--help"});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.invocation.help_topic, "");

  result = Parse({"status", "--help"});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.invocation.help_topic, "status");
  result = Parse({"status", "component", "--help"});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.invocation.help_topic, "status component");
  result = Parse({"status", "component", "set", "-h"});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.invocation.help_topic, "status component set");
  EXPECT_NE(parser_.Help("status component set")
                .value()
                .find("usage: klaxon status component "
                      "set COMPONENT STATUS\n"),
            std::string::npos);
}

TEST_F(CliArgsTest, UsageErrorsNameTheProblemAndTheUsage) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
    std::string usage_prefix;
  };
  const Case cases[] = {
      {{"incident"}, "incident: missing subcommand", "usage: klaxon incident <command>"},
      {{"incident", "frobnicate"},
       "unknown command 'incident frobnicate'",
       "usage: klaxon incident <command>"},
      {{"frobnicate"}, "unknown command 'frobnicate'", "usage: klaxon <command>"},
      {{"incident", "show"}, "missing ID", "usage: klaxon incident show ID"},
      {{"incident", "show", "1", "2"}, "unexpected argument '2'", "usage: klaxon incident show"},
      {{"incident", "declare"}, "missing --title TITLE", "usage: klaxon incident declare --title"},
      {{"incident", "list", "--bogus"}, "unknown option --bogus", "usage: klaxon incident list"},
      {{"incident", "list", "-x"}, "unknown option -x", "usage: klaxon incident list"},
      {{"incident", "list", "--limit"},
       "option --limit needs a value (N)",
       "usage: klaxon incident list"},
      {{"incident", "list", "--all=yes"},
       "option --all takes no value",
       "usage: klaxon incident list"},
      {{"incident", "show", "1", "--title", "x"},
       "option --title does not apply to 'incident show'",
       "usage: klaxon incident show ID"},
      {{"token", "create", "--name", "ci"}, "missing --role ROLE", "usage: klaxon token create"},
      {{"incident", "note", "1"}, "missing TEXT", "usage: klaxon incident note ID TEXT..."},
      {{"status"},
       "status: missing subcommand",
       "usage: klaxon status <command> [options]\ncommands: show component incident maintenance"},
      {{"status", "frob"}, "unknown command 'status frob'", "usage: klaxon status <command>"},
      {{"status", "component"},
       "status component: missing ACTION",
       "usage: klaxon status component <command> [options]\ncommands: list add set delete"},
      {{"status", "component", "frob"},
       "unknown command 'status component frob'",
       "usage: klaxon status component <command> [options]\ncommands: list add set delete"},
      {{"status", "component", "frob", "Shop"},
       "unknown command 'status component frob'",
       "usage: klaxon status component <command>"},
      {{"status", "component", "set", "Shop"},
       "missing STATUS",
       "usage: klaxon status component set COMPONENT STATUS"},
      {{"status", "component", "list", "--name", "x"},
       "option --name does not apply to 'status component list'",
       "usage: klaxon status component list"},
      {{"status", "incident", "publish", "--name", "x"},
       "missing --message TEXT",
       "usage: klaxon status incident publish --name NAME --message TEXT"},
  };
  for (const Case& c : cases) {
    const ParseResult result = Parse(c.args);
    EXPECT_FALSE(result.ok()) << c.args[0];
    EXPECT_EQ(result.error, c.error);
    EXPECT_TRUE(result.usage.starts_with(c.usage_prefix)) << result.usage;
  }
}

TEST_F(CliArgsTest, UsageLinesComeFromTheTable) {
  EXPECT_EQ(parser_.Usage(*parser_.FindCommand("incident declare")),
            "usage: klaxon incident declare --title TITLE [--severity LEVEL] [--service SERVICE] "
            "[--description TEXT] [--impact TEXT]");
  EXPECT_EQ(parser_.Usage(*parser_.FindCommand("incident status")),
            "usage: klaxon incident status ID STATUS [--message TEXT]");
  EXPECT_EQ(parser_.Usage(*parser_.FindCommand("logout")), "usage: klaxon logout");
}

TEST_F(CliArgsTest, HelpListsCommandsAndOptions) {
  const std::string all = parser_.Help("").value();
  // Every command is in the listing of everything, or (three words) in its group's.
  for (const CommandSpec& command : CommandTable()) {
    const std::string_view group = command.path.substr(0, command.path.rfind(' '));
    if (std::count(command.path.begin(), command.path.end(), ' ') < 2) {
      EXPECT_NE(all.find("  " + std::string(command.path)), std::string::npos) << command.path;
    } else {
      EXPECT_EQ(all.find(command.path), std::string::npos) << command.path;
      EXPECT_NE(all.find("  " + std::string(group) + " ACTION... "), std::string::npos)
          << command.path;
      EXPECT_NE(parser_.Help(group).value().find("  " + std::string(command.path)),
                std::string::npos)
          << command.path;
    }
  }
  EXPECT_NE(all.find("--server URL"), std::string::npos);

  const std::string group = parser_.Help("token").value();
  EXPECT_NE(group.find("token revoke ID"), std::string::npos);
  EXPECT_EQ(group.find("incident list"), std::string::npos);

  const std::string command = parser_.Help("incident list").value();
  EXPECT_NE(command.find("--status STATUS"), std::string::npos);
  EXPECT_NE(command.find("'open' for all unresolved"), std::string::npos);  // Per-command help.
  EXPECT_NE(command.find("--json"), std::string::npos);

  EXPECT_EQ(parser_.Help("nope"), std::nullopt);
}

TEST_F(CliArgsTest, TablesAreConsistent) {
  for (const CommandSpec& command : CommandTable()) {
    EXPECT_NE(command.handler, nullptr) << command.path;
    EXPECT_FALSE(command.summary.empty()) << command.path;
    for (const OptionUse& use : command.option_uses()) {
      const OptionSpec* option = parser_.FindOption(use.name);
      ASSERT_NE(option, nullptr) << command.path << " --" << use.name;
      EXPECT_FALSE(option->global) << command.path << " lists global --" << use.name;
    }
  }
  EXPECT_TRUE(parser_.IsGroup("incident"));
  EXPECT_TRUE(parser_.IsGroup("status component"));
  EXPECT_FALSE(parser_.IsGroup("login"));
  EXPECT_FALSE(parser_.IsGroup("inc"));
  EXPECT_FALSE(parser_.IsGroup("status comp"));
  EXPECT_FALSE(parser_.IsGroup("status component set"));
  EXPECT_FALSE(parser_.IsGroup(""));
}

TEST_F(CliArgsTest, PathsHaveAtMostThreeWordsAndNoCommandIsAGroup) {
  for (const CommandSpec& command : CommandTable()) {
    const auto words = std::count(command.path.begin(), command.path.end(), ' ') + 1;
    EXPECT_LE(static_cast<size_t>(words), kMaxCommandWords) << command.path;
    EXPECT_FALSE(parser_.IsGroup(command.path)) << command.path;
    EXPECT_EQ(parser_.FindCommand(command.path), &command) << command.path << " twice";
    if (command.first_arg_joins) {
      EXPECT_FALSE(command.args.empty()) << command.path;
      EXPECT_FALSE(command.args.ends_with("...")) << command.path;
    }
  }
}

TEST(CliCommandNames, EachCommandAndGroupOnceInTableOrder) {
  const auto names = ClientCommandNames();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "login");
  for (const CommandSpec& c : CommandTable()) {
    const std::string first(c.path.substr(0, c.path.find(' ')));
    EXPECT_EQ(std::count(names.begin(), names.end(), first), 1) << first;
    EXPECT_TRUE(IsClientCommand(first.c_str())) << first;
  }
}

}  // namespace
}  // namespace klaxon::cli
