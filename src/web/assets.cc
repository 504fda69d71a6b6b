#include "web/assets.h"

#include "web/embedded.h"

namespace klaxon::web {

const Asset* FindAsset(std::string_view path) {
  for (const Asset& asset : EmbeddedAssets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace klaxon::web
