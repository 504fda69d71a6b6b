// Mustache helpers shared by every template Klaxon renders (notification messages,
// remediation action bodies): JSON → mustache data, and a context without partials.
#pragma once

#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace klaxon::notify {

// JSON → mustache data, as mustache.js sees it: empty strings and null are false, numbers
// are text. Every `strip` character is removed from strings (templates use one as an
// internal marker, which no fact may forge); '\0' strips nothing.
kainjow::mustache::data ToMustacheData(const nlohmann::json& j, char strip = '\0');

// Never resolves partials: {{>name}} would otherwise render a value (user text) as a
// template.
class NoPartialsContext : public kainjow::mustache::context<std::string> {
 public:
  using context::context;
  const kainjow::mustache::data* get_partial(const std::string&) const override { return nullptr; }
};

// Renders `text` (mustache, no HTML escaping: plain text or Markdown) over `facts`.
// A template that does not parse is InvalidField("/template", ...).
Result<std::string> RenderText(const std::string& text, const nlohmann::json& facts);

}  // namespace klaxon::notify
