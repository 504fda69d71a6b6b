// Asking the user for a missing username or password.
//
// Prompter is the interface the login command uses, so tests answer with a fake.
// TerminalPrompter talks to the controlling terminal (/dev/tty), turning echo off for
// secrets and restoring it afterwards; without a terminal it reads a line from stdin and
// writes the prompt to stderr. Not thread-safe; owned by the caller of Run().
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace klaxon::cli {

class Prompter {
 public:
  virtual ~Prompter() = default;
  // The line typed (without the newline), or nullopt at end of input or with no way to ask.
  virtual std::optional<std::string> Ask(std::string_view prompt, bool secret) = 0;
};

class TerminalPrompter final : public Prompter {
 public:
  std::optional<std::string> Ask(std::string_view prompt, bool secret) override;
};

}  // namespace klaxon::cli
