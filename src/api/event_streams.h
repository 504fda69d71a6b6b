// Live event streams (server-sent events) for the console: each attached client gets the
// events after its Last-Event-ID replayed from the log, then every new committed event,
// in seq order with no gap and no repeat, plus a keepalive comment every 15 s.
//
// One bus subscription serves all clients and formats each event once. A replay longer
// than kMaxReplay ends the stream after that page; the client resumes from its last id.
// A client that stops reading is cut off by the server's per-stream buffer limit.
// Thread-safe. Owns one keepalive thread; Shutdown() ends every stream and joins it.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "events/event.h"
#include "http/message.h"
#include "store/store.h"

namespace klaxon::api {

class EventStreams {
 public:
  static constexpr size_t kMaxClients = 1000;
  static constexpr int kKeepaliveSeconds = 15;
  static constexpr int64_t kMaxReplay = 2000;

  EventStreams(store::Store& store, events::EventLog& log, events::EventBus& bus);
  ~EventStreams();

  // Starts streaming to `sink`: events after `after` (none when nullopt: only new ones).
  void Attach(std::shared_ptr<http::StreamSink> sink, std::optional<int64_t> after);
  size_t clients() const;
  void Shutdown();

  static std::string Format(const events::Event& e);

 private:
  struct Client;
  void OnEvent(const events::Event& e);
  void KeepaliveLoop();

  store::Store& store_;
  events::EventLog& log_;
  events::EventBus& bus_;
  int64_t subscription_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<Client>> clients_;
  std::thread keepalive_;
};

}  // namespace klaxon::api
