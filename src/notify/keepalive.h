// Plain http:// posts over connections kept open between posts (HTTP/1.1 keep-alive), in
// one small pool shared by all threads. A page to a webhook then costs one send and one receive:
// libcurl sets up each transfer anew (options, connection cache, multi handle) and that took
// 150-250 µs between a page's commit and its first byte on the wire (bench/RESULTS.md,
// "Session 20"). libcurl still opens each connection (CURLOPT_CONNECT_ONLY: its resolver,
// connect timeout and address fallback); Boost.Beast's parser reads the responses.
//
// PostHttp (transport.h) calls this for http:// URLs and keeps libcurl for the rest:
// https://, URLs with credentials, and any URL when a proxy is set in the environment.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

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

// A post in parts, so that its request can leave from another thread than the one that
// reads the answer. The dispatcher renders a page while the page's transaction is still
// open (Make); the thread that commits the transaction writes the request at once on an
// idle connection (SendNow), so no wake-up of another thread lies between the commit and
// the page on the wire; a delivery thread then reads the answer (Finish). Any thread may
// call any part, one at a time, in that order.
class PreparedPost {
 public:
  // Whether PostKeptAlive would take a post to `url` (plain http://, no credentials, no
  // proxy in the environment); PostHttp sends the others with libcurl.
  static bool Takes(const std::string& url);
  // nullptr when !Takes(req.url). Only renders the request's bytes; the timeout counts
  // from the first send (SendNow or Finish).
  static std::unique_ptr<PreparedPost> Make(const HttpRequest& req, int timeout_ms);
  ~PreparedPost();
  PreparedPost(const PreparedPost&) = delete;
  PreparedPost& operator=(const PreparedPost&) = delete;

  // Takes an idle connection to the URL's origin and writes as much of the request as the
  // socket takes without waiting (all of it, for a page). False when there was no idle
  // connection or nothing could be written; a failure is met again, and handled, by Finish.
  // Never blocks.
  bool SendNow();
  // Sends what is left, on an idle or a new connection, and reads the answer, as
  // PostKeptAlive does (a reused connection closed before any byte of the answer: once more
  // on a new one). Call it once.
  HttpResult Finish();

 private:
  struct Impl;
  explicit PreparedPost(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Whether http_proxy, all_proxy or ALL_PROXY is set (read once): libcurl reads these
// (HTTP_PROXY only for https, which never comes here), so every post then goes through it.
bool ProxyInEnvironment();

// The idle connections to `url`'s origin (tests).
size_t KeptAliveConnections(const std::string& url);

}  // namespace klaxon::notify
