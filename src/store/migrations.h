// Versioned schema migrations, applied in order at open; never edit a released one.
#pragma once

#include <span>
#include <string_view>

namespace klaxon::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

std::span<const Migration> SqliteMigrations();

}  // namespace klaxon::store
