// The web console's static files, embedded into the binary at build time.
//
// Generated from src/web/assets/ by src/web/embed.cmake; immutable, so any thread may
// read them. Paths are as served: "/index.html", "/assets/app.js", ...
#pragma once

#include <string_view>

namespace klaxon::web {

struct Asset {
  std::string_view path;          // "/assets/app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;
  std::string_view etag;  // quoted strong ETag of the body, e.g. "\"3f2a...\""
};

// The asset served at `path`, or nullptr.
const Asset* FindAsset(std::string_view path);

}  // namespace klaxon::web
