// Plain http:// posts over connections kept open between posts (HTTP/1.1 keep-alive), one
// small pool per thread. A page to a webhook then costs one send and one receive: libcurl
// sets up each transfer anew (options, connection cache, multi handle) and that took
// 150-250 µs between a page's commit and its first byte on the wire (bench/RESULTS.md,
// "Session 20"). libcurl still opens each connection (CURLOPT_CONNECT_ONLY: its resolver,
// connect timeout and address fallback); Boost.Beast's parser reads the responses.
//
// PostHttp (transport.h) calls this for http:// URLs and keeps libcurl for the rest:
// https://, URLs with credentials, and any URL when a proxy is set in the environment.
#pragma once

#include <cstddef>
#include <optional>

#include "notify/transport.h"

namespace klaxon::notify {

// What PostHttp keeps of a response, on either path.
inline constexpr size_t kHttpMaxBody = 4096;        // the first 4 KiB of the body
inline constexpr size_t kHttpMaxHeaders = 100;      // the first 100 header fields
inline constexpr size_t kHttpMaxHeaderLine = 8192;  // each cut to 8 KiB

// Posts `req` when its URL is plain http:// with no credentials and no proxy is configured
// in the environment; nullopt otherwise (the caller uses libcurl). A connection that was
// idle is checked before use; when a reused connection turns out closed before any byte of
// the answer arrived (the server's idle timeout raced the post), the post goes once more on
// a new connection. A connection is kept only after a complete answer that allows it.
std::optional<HttpResult> PostKeptAlive(const HttpRequest& req, int timeout_ms);

// Whether http_proxy, all_proxy or ALL_PROXY is set (read once): libcurl reads these
// (HTTP_PROXY only for https, which never comes here), so every post then goes through it.
bool ProxyInEnvironment();

// This thread's open idle connections (tests).
size_t KeptAliveConnections();

}  // namespace klaxon::notify
