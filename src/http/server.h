// The HTTP/1.1 server: Boost.Beast over Asio with a pool of worker threads.
//
// Parses each request with limits (body → 413, headers → 431, read timeout), hands it to
// one Handler, writes the Reply whenever it arrives (from any thread), keeps connections
// alive, streams server-sent events, logs each request, and drains on Stop(). Only this
// file pair includes Beast. Thread-safe; the owner calls Start once and Stop once.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "http/message.h"

namespace klaxon::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 4;
  size_t max_body = 1 << 20;
  size_t max_header = 16 << 10;
  int read_timeout_s = 30;         // a slow client cannot hold a connection longer per request
  int idle_timeout_s = 60;         // keep-alive connections idle longer are closed
  size_t max_connections = 10000;  // more are closed at accept
  int drain_timeout_s = 20;
  std::function<void()> on_thread_start;  // run first on each of the server's threads
};

// The Request passed to the Handler stays valid until its Reply is called.
// Called once per finished request (status, seconds) for metrics and the access log.
using CompletionObserver = std::function<void(const Request&, int status, double seconds)>;

class Server {
 public:
  Server(ServerOptions options, Handler handler, CompletionObserver observer);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the workers. The bound port (useful with port 0) is port().
  Status Start();
  int port() const;
  // Stops accepting, waits for in-flight requests (up to drain_timeout_s), closes
  // streams and idle connections, joins the workers.
  void Stop();
  // Blocks SIGINT and SIGTERM in the calling thread (call before any thread starts, so
  // every thread inherits the mask), then WaitForSignal() returns the one received.
  static void BlockTerminationSignals();
  static int WaitForSignal();

 public:
  struct Impl;  // defined in server.cc

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace klaxon::http
