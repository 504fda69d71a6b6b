// The generated documents in docs/ must match the tables they come from.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/server_config.h"
#include "events/event.h"

namespace klaxon {
namespace {

std::string ReadDoc(const std::string& name) {
  std::ifstream f(std::string(KLAXON_SOURCE_DIR) + "/docs/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(GeneratedDocs, ConfigMatchesTheOptionsTable) {
  EXPECT_EQ(ReadDoc("config.md"), config::ConfigMarkdown())
      << "regenerate with: build/klaxon docs config > docs/config.md";
}

TEST(GeneratedDocs, EventsMatchTheKindsTable) {
  EXPECT_EQ(ReadDoc("events.md"), events::EventsMarkdown())
      << "regenerate with: build/klaxon docs events > docs/events.md";
}

}  // namespace
}  // namespace klaxon
