#include "api/event_streams.h"

#include <algorithm>

namespace klaxon::api {

struct EventStreams::Client {
  std::shared_ptr<http::StreamSink> sink;
  std::mutex mu;
  bool replaying = true;
  int64_t last_sent = 0;
  std::vector<events::Event> buffered;
  int64_t subscription = 0;
};

EventStreams::EventStreams(store::Store& store, events::EventLog& log, events::EventBus& bus)
    : store_(store), log_(log), bus_(bus), keepalive_([this] { KeepaliveLoop(); }) {}

EventStreams::~EventStreams() { Shutdown(); }

std::string EventStreams::Format(const events::Event& e) {
  return "id: " + std::to_string(e.seq) + "\nevent: " + e.kind +
         "\ndata: " + e.ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n\n";
}

size_t EventStreams::clients() const {
  std::lock_guard lock(mu_);
  return clients_.size();
}

void EventStreams::Attach(std::shared_ptr<http::StreamSink> sink, std::optional<int64_t> after) {
  auto client = std::make_shared<Client>();
  client->sink = sink;
  // Subscribe first and buffer, so nothing committed during the replay is missed.
  std::weak_ptr<Client> weak = client;
  client->subscription = bus_.Subscribe([weak](const events::Event& e) {
    auto c = weak.lock();
    if (!c) return;
    std::lock_guard lock(c->mu);
    if (c->replaying) {
      c->buffered.push_back(e);
    } else if (e.seq > c->last_sent) {
      c->sink->Write(Format(e));
      c->last_sent = e.seq;
    }
  });
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      bus_.Unsubscribe(client->subscription);
      sink->Close();
      return;
    }
    clients_.push_back(client);
  }
  sink->OnClose([this, weak] {
    auto c = weak.lock();
    if (!c) return;
    bus_.Unsubscribe(c->subscription);
    std::lock_guard lock(mu_);
    clients_.erase(std::remove(clients_.begin(), clients_.end(), c), clients_.end());
  });
  sink->Write(": klaxon event stream\nretry: 2000\n\n");

  // Replay from the log.
  int64_t last = 0;
  std::vector<events::Event> replay;
  (void)store_.Read([&](store::Tx& tx) -> Status {
    if (!after) {
      auto s = log_.LastSeq(tx);
      if (!s.ok()) return s.status();
      last = *s;
      return Status::Ok();
    }
    last = *after;
    for (;;) {
      auto page = log_.List(tx, last, std::nullopt, 1000);
      if (!page.ok()) return page.status();
      for (auto& e : *page) {
        last = e.seq;
        replay.push_back(std::move(e));
      }
      if (page->size() < 1000 || replay.size() >= 100000) return Status::Ok();
    }
  });
  std::lock_guard lock(client->mu);
  for (const auto& e : replay) sink->Write(Format(e));
  client->last_sent = last;
  for (const auto& e : client->buffered)
    if (e.seq > client->last_sent) {
      sink->Write(Format(e));
      client->last_sent = e.seq;
    }
  client->buffered.clear();
  client->replaying = false;
}

void EventStreams::KeepaliveLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::seconds(kKeepaliveSeconds));
    if (stopping_) break;
    for (auto& c : clients_) c->sink->Write(": keepalive\n\n");
  }
}

void EventStreams::Shutdown() {
  std::vector<std::shared_ptr<Client>> all;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    all = clients_;
  }
  cv_.notify_all();
  if (keepalive_.joinable()) keepalive_.join();
  for (auto& c : all) {
    bus_.Unsubscribe(c->subscription);
    c->sink->Close();
  }
}

}  // namespace klaxon::api
