// Internal to klaxon_web: the table that embed.cmake generates from src/web/assets/.
#pragma once

#include <span>

#include "web/assets.h"

namespace klaxon::web {

// Every embedded asset, sorted by file name.
std::span<const Asset> EmbeddedAssets();

}  // namespace klaxon::web
