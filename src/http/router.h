// Matches a method and path against patterns like "/api/v1/incidents/{id}".
//
// Built once at start, then read-only: any thread may Match.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace klaxon::http {

class Router {
 public:
  // Adds a route; returns its index (the caller keeps its own table by index).
  size_t Add(std::string method, std::string pattern);

  struct Match {
    size_t index;
    std::map<std::string, std::string> params;
  };
  // The route for (method, path); nullopt if none. `path_known` is set when some route
  // has that path with another method (→ 405 rather than 404).
  std::optional<Match> Find(std::string_view method, std::string_view path,
                            bool* path_known = nullptr) const;
  // The methods routed for `path`, e.g. "GET, POST" (for a 405's Allow header).
  std::string AllowedMethods(std::string_view path) const;

 private:
  struct Entry {
    std::string method;
    std::vector<std::string> segments;  // "{id}" marks a parameter
  };
  std::vector<Entry> entries_;
};

std::vector<std::string_view> SplitPath(std::string_view path);

}  // namespace klaxon::http
