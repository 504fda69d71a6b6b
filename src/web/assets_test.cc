#include "web/assets.h"

#include <gtest/gtest.h>

#include <string>

#include "web/embedded.h"

namespace klaxon::web {
namespace {

TEST(WebAssets, IndexHtmlIsEmbedded) {
  const Asset* index = FindAsset("/index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->path, "/index.html");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("/assets/app.js"), std::string_view::npos);
  EXPECT_NE(index->body.find("/assets/app.css"), std::string_view::npos);
}

TEST(WebAssets, ScriptAndStyleHaveTheirTypes) {
  const Asset* js = FindAsset("/assets/app.js");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_FALSE(js->body.empty());
  const Asset* css = FindAsset("/assets/app.css");
  ASSERT_NE(css, nullptr);
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
}

TEST(WebAssets, UnknownPathsAreNotFound) {
  EXPECT_EQ(FindAsset("/assets/nope.js"), nullptr);
  EXPECT_EQ(FindAsset("/app.js"), nullptr);  // assets live under /assets/
  EXPECT_EQ(FindAsset("/assets/index.html"), nullptr);
  EXPECT_EQ(FindAsset(""), nullptr);
  EXPECT_EQ(FindAsset("/assets/../index.html"), nullptr);
}

TEST(WebAssets, EtagsAreQuotedAndDistinct) {
  std::string seen;
  for (const Asset& asset : EmbeddedAssets()) {
    ASSERT_GE(asset.etag.size(), 3u) << asset.path;
    EXPECT_EQ(asset.etag.front(), '"') << asset.path;
    EXPECT_EQ(asset.etag.back(), '"') << asset.path;
    EXPECT_EQ(FindAsset(asset.path), &asset);
    EXPECT_EQ(seen.find(asset.etag), std::string::npos) << "duplicate etag " << asset.etag;
    seen += asset.etag;
  }
}

TEST(WebAssets, BodiesAreExact) {
  // No terminating NUL or other padding is part of the body.
  const Asset* index = FindAsset("/index.html");
  ASSERT_NE(index, nullptr);
  ASSERT_FALSE(index->body.empty());
  EXPECT_NE(index->body.back(), '\0');
  EXPECT_EQ(index->body.substr(0, 15), "<!doctype html>");
}

}  // namespace
}  // namespace klaxon::web
