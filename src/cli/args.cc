#include "cli/args.h"

#include <algorithm>
#include <utility>

namespace klaxon::cli {

namespace {

constexpr std::string_view kProgram = "klaxon";
constexpr size_t kHelpColumn = 30;  // Where summaries start in listings.

std::vector<std::string_view> SplitWords(std::string_view text) {
  std::vector<std::string_view> words;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    if (space != 0) words.push_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return words;
}

// "status component" for "status component set"; "" for a one-word path.
std::string_view Parent(std::string_view path) {
  const size_t space = path.rfind(' ');
  return space == std::string_view::npos ? "" : path.substr(0, space);
}

// Whether `path` is below `group` ("status component set" is below "status" and "status
// component"); everything is below "".
bool IsBelow(std::string_view path, std::string_view group) {
  if (group.empty()) return true;
  return path.size() > group.size() && path.starts_with(group) && path[group.size()] == ' ';
}

// The first `n` words, joined with blanks.
std::string JoinWords(const std::vector<std::string>& words, size_t n) {
  std::string path;
  for (size_t i = 0; i < n && i < words.size(); ++i) {
    if (i > 0) path += ' ';
    path += words[i];
  }
  return path;
}

// The next word of each command below `group`, in table order, once each: "show component
// incident maintenance" for "status".
std::vector<std::string_view> Subcommands(std::span<const CommandSpec> commands,
                                          std::string_view group) {
  std::vector<std::string_view> words;
  for (const auto& command : commands) {
    if (!IsBelow(command.path, group)) continue;
    std::string_view rest = command.path.substr(group.empty() ? 0 : group.size() + 1);
    rest = rest.substr(0, rest.find(' '));
    if (std::find(words.begin(), words.end(), rest) == words.end()) words.push_back(rest);
  }
  return words;
}

// "  left   right" with `right` starting at kHelpColumn (or after one space if too long).
std::string HelpLine(std::string_view left, std::string_view right) {
  std::string line = "  " + std::string(left);
  line.append(line.size() + 1 < kHelpColumn ? kHelpColumn - line.size() : 1, ' ');
  line += right;
  line += '\n';
  return line;
}

// "--file FILE"; `metavar` replaces the option's own when given (OptionUse::metavar).
std::string OptionSyntax(const OptionSpec& option, std::string_view metavar = {}) {
  std::string text = "--" + std::string(option.name);
  if (!option.flag()) text += " " + std::string(metavar.empty() ? option.metavar : metavar);
  return text;
}

// "-f, --file FILE" in help listings; OptionSyntax when there is no one-letter form.
std::string OptionHelpSyntax(const OptionSpec& option, std::string_view metavar) {
  if (option.short_name == '\0') return OptionSyntax(option, metavar);
  return std::string("-") + option.short_name + ", " + OptionSyntax(option, metavar);
}

}  // namespace

std::span<const OptionUse> CommandSpec::option_uses() const {
  size_t n = 0;
  while (n < kMaxCommandOptions && !options[n].name.empty()) ++n;
  return {options, n};
}

std::string Invocation::Get(std::string_view name) const {
  const auto it = options.find(name);
  return it == options.end() ? "" : it->second;
}

std::vector<std::string> Invocation::GetAll(std::string_view name) const {
  const auto it = all_values.find(name);
  return it == all_values.end() ? std::vector<std::string>{} : it->second;
}

const OptionSpec* Parser::FindOption(std::string_view name) const {
  for (const auto& option : options_) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

const OptionSpec* Parser::FindShortOption(char short_name) const {
  for (const auto& option : options_) {
    if (option.short_name != '\0' && option.short_name == short_name) return &option;
  }
  return nullptr;
}

const CommandSpec* Parser::FindCommand(std::string_view path) const {
  for (const auto& command : commands_) {
    if (command.path == path) return &command;
  }
  return nullptr;
}

bool Parser::IsGroup(std::string_view path) const {
  if (path.empty()) return false;
  return std::any_of(commands_.begin(), commands_.end(),
                     [&](const CommandSpec& command) { return IsBelow(command.path, path); });
}

ParseResult Parser::Fail(std::string error, std::string usage) const {
  ParseResult result;
  result.error = std::move(error);
  result.usage = std::move(usage);
  return result;
}

ParseResult Parser::Parse(const std::vector<std::string>& args) const {
  Invocation invocation;
  std::vector<std::string> words;
  std::string option_error;  // Reported once the command is known, with its usage.
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg == "-" || !arg.starts_with('-')) {
      words.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      invocation.help = true;
      continue;
    }
    const bool long_form = arg.starts_with("--");
    const size_t equals = long_form ? arg.find('=') : std::string::npos;
    const OptionSpec* option = nullptr;
    if (long_form) {
      option = FindOption(arg.substr(2, equals == std::string::npos ? equals : equals - 2));
    } else if (arg.size() == 2) {
      option = FindShortOption(arg[1]);
    }
    if (option == nullptr) {
      if (option_error.empty()) option_error = "unknown option " + arg.substr(0, arg.find('='));
      continue;
    }
    const std::string name(option->name);
    std::string value;
    if (option->flag()) {
      if (equals != std::string::npos && option_error.empty()) {
        option_error = "option --" + name + " takes no value";
      }
    } else if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else if (option_error.empty()) {
      option_error = "option --" + name + " needs a value (" + std::string(option->metavar) + ")";
    }
    invocation.all_values[name].push_back(value);
    invocation.options[name] = std::move(value);
  }

  const std::string top_usage = "usage: " + std::string(kProgram) + " <command> [options]";
  if (words.empty()) {
    if (invocation.help) return {std::move(invocation), "", ""};
    return Fail("missing command", top_usage);
  }
  // The longest command path the words start with; failing that, the longest group.
  const CommandSpec* command = nullptr;
  size_t consumed = 0;
  for (size_t n = std::min(words.size(), kMaxCommandWords); n > 0 && command == nullptr; --n) {
    command = FindCommand(JoinWords(words, n));
    consumed = n;
  }
  if (command == nullptr) {
    size_t depth = std::min(words.size(), kMaxCommandWords - 1);
    while (depth > 0 && !IsGroup(JoinWords(words, depth))) --depth;
    if (depth == 0) return Fail("unknown command '" + words[0] + "'", top_usage);
    const std::string group = JoinWords(words, depth);
    if (words.size() == depth) {
      if (invocation.help) {
        invocation.help_topic = group;
        return {std::move(invocation), "", ""};
      }
      // A two-word group is listed as "status component ACTION...", so its subcommand is the
      // ACTION.
      return Fail(group + (depth == 1 ? ": missing subcommand" : ": missing ACTION"),
                  GroupUsage(group));
    }
    return Fail("unknown command '" + group + " " + words[depth] + "'", GroupUsage(group));
  }
  invocation.command = command;
  if (!option_error.empty()) return Fail(option_error, Usage(*command));
  if (invocation.help) {
    invocation.help_topic = std::string(command->path);
    return {std::move(invocation), "", ""};
  }
  words.erase(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(consumed));
  if (auto error = Bind(*command, std::move(words), invocation)) {
    return Fail(std::move(*error), Usage(*command));
  }
  return {std::move(invocation), "", ""};
}

std::optional<std::string> Parser::Bind(const CommandSpec& command, std::vector<std::string> words,
                                        Invocation& invocation) const {
  const std::span<const OptionUse> uses = command.option_uses();
  for (const auto& [name, value] : invocation.options) {
    const OptionSpec* option = FindOption(name);
    const bool listed = std::any_of(uses.begin(), uses.end(),
                                    [&](const OptionUse& use) { return use.name == name; });
    if (!option->global && !listed) {
      return "option --" + name + " does not apply to '" + std::string(command.path) + "'";
    }
  }
  for (const auto& use : uses) {
    if (use.required && !invocation.Has(use.name)) {
      return "missing " + OptionSyntax(*FindOption(use.name), use.metavar);
    }
  }
  const std::vector<std::string_view> names = SplitWords(command.args);
  const bool variadic = !names.empty() && names.back().ends_with("...");
  if (words.size() < names.size()) {
    std::string_view missing = names[words.size()];
    if (missing.ends_with("...")) missing.remove_suffix(3);
    return "missing " + std::string(missing);
  }
  if (words.size() > names.size() && command.first_arg_joins && !names.empty()) {
    // The arguments after the first are the last words, one each; the first takes the rest.
    const size_t extra = words.size() - names.size();
    for (size_t i = 1; i <= extra; ++i) words[0] += " " + words[i];
    words.erase(words.begin() + 1, words.begin() + static_cast<std::ptrdiff_t>(extra + 1));
  }
  if (words.size() > names.size() && !variadic) {
    return "unexpected argument '" + words[names.size()] + "'";
  }
  if (variadic) {
    std::string rest;
    for (size_t i = names.size() - 1; i < words.size(); ++i) {
      if (!rest.empty()) rest += ' ';
      rest += words[i];
    }
    words.resize(names.size() - 1);
    words.push_back(std::move(rest));
  }
  invocation.args = std::move(words);
  return std::nullopt;
}

std::string Parser::Usage(const CommandSpec& command) const {
  std::string usage = "usage: " + std::string(kProgram) + " " + std::string(command.path);
  if (!command.args.empty()) usage += " " + std::string(command.args);
  for (const auto& use : command.option_uses()) {
    const OptionSpec* option = FindOption(use.name);
    if (option == nullptr) continue;
    const std::string syntax = OptionSyntax(*option, use.metavar);
    usage += use.required ? " " + syntax : " [" + syntax + "]";
    if (option->repeatable) usage += "...";
  }
  return usage;
}

std::string Parser::GroupUsage(std::string_view group) const {
  std::string usage =
      "usage: " + std::string(kProgram) + " " + std::string(group) + " <command> [options]\n";
  usage += "commands:";
  for (const std::string_view word : Subcommands(commands_, group)) {
    usage += " " + std::string(word);
  }
  return usage;
}

// "list, add, set, delete (see 'klaxon status component --help')".
std::string Parser::GroupSummary(std::string_view group) const {
  std::string summary;
  for (const std::string_view word : Subcommands(commands_, group)) {
    if (!summary.empty()) summary += ", ";
    summary += word;
  }
  return summary + " (see '" + std::string(kProgram) + " " + std::string(group) + " --help')";
}

// Every command below `group`, except that the commands of a two-word group below it show
// as one line for that group ("status component ACTION...") unless it is `group` itself.
std::string Parser::Listing(std::string_view group) const {
  std::string text = "Commands:\n";
  std::vector<std::string_view> nested;  // The two-word groups listed so far.
  for (const auto& command : commands_) {
    if (!IsBelow(command.path, group)) continue;
    const std::string_view parent = Parent(command.path);
    if (parent != group && parent.find(' ') != std::string_view::npos) {
      if (std::find(nested.begin(), nested.end(), parent) != nested.end()) continue;
      nested.push_back(parent);
      text += HelpLine(std::string(parent) + " ACTION...", GroupSummary(parent));
      continue;
    }
    std::string left(command.path);
    if (!command.args.empty()) left += " " + std::string(command.args);
    text += HelpLine(left, command.summary);
  }
  return text;
}

std::string Parser::GlobalOptionsHelp() const {
  std::string text = "Global options:\n";
  for (const auto& option : options_) {
    if (option.global) text += HelpLine(OptionSyntax(option), option.help);
  }
  return text;
}

std::string Parser::CommandHelp(const CommandSpec& command) const {
  std::string text = Usage(command) + "\n\n" + std::string(command.summary) + "\n";
  if (!command.option_uses().empty()) {
    text += "\nOptions:\n";
    for (const auto& use : command.option_uses()) {
      const OptionSpec* option = FindOption(use.name);
      if (option == nullptr) continue;
      std::string help(use.help.empty() ? option->help : use.help);
      if (option->repeatable) help += " (repeatable)";
      if (use.required) help += " (required)";
      text += HelpLine(OptionHelpSyntax(*option, use.metavar), help);
    }
  }
  return text + "\n" + GlobalOptionsHelp();
}

std::optional<std::string> Parser::Help(std::string_view topic) const {
  if (const CommandSpec* command = FindCommand(topic)) return CommandHelp(*command);
  const std::string program(kProgram);
  if (topic.empty()) {
    return "usage: " + program + " <command> [options]\n\n" + Listing("") + "\n" +
           GlobalOptionsHelp() + "\nRun '" + program + " <command> --help' for its options.\n";
  }
  if (!IsGroup(topic)) return std::nullopt;
  const std::string group(topic);
  return "usage: " + program + " " + group + " <command> [options]\n\n" + Listing(topic) + "\n" +
         GlobalOptionsHelp() + "\nRun '" + program + " " + group +
         " <command> --help' for its options.\n";
}

}  // namespace klaxon::cli
