#include "api/event_streams.h"

#include <algorithm>

#include "core/thread_name.h"

namespace klaxon::api {

// One connected stream. `mu` orders the replay against live events.
struct EventStreams::Client {
  std::shared_ptr<http::StreamSink> sink;
  std::mutex mu;
  bool replaying = true;
  int64_t last_sent = 0;
  std::vector<std::pair<int64_t, std::shared_ptr<const std::string>>> buffered;
};

EventStreams::EventStreams(store::Store& store, events::EventLog& log, events::EventBus& bus)
    : store_(store), log_(log), bus_(bus) {
  subscription_ = bus_.Subscribe([this](const events::Event& e) { OnEvent(e); });
  keepalive_ = std::thread([this] {
    NameThisThread("klaxon-sse");
    KeepaliveLoop();
  });
}

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

void EventStreams::OnEvent(const events::Event& e) {
  std::vector<std::shared_ptr<Client>> all;
  {
    std::lock_guard lock(mu_);
    if (clients_.empty()) return;
    all = clients_;
  }
  auto msg = std::make_shared<const std::string>(Format(e));
  for (auto& c : all) {
    std::lock_guard lock(c->mu);
    if (c->replaying) {
      if (c->buffered.size() < static_cast<size_t>(kMaxReplay))
        c->buffered.emplace_back(e.seq, msg);
      else
        c->sink->Close();  // cannot keep up while replaying; it resumes from its last id
    } else if (e.seq > c->last_sent) {
      c->sink->Write(*msg);
      c->last_sent = e.seq;
    }
  }
}

void EventStreams::Attach(std::shared_ptr<http::StreamSink> sink, std::optional<int64_t> after) {
  auto client = std::make_shared<Client>();
  client->sink = sink;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return sink->Close();
    clients_.push_back(client);  // from here on live events are buffered for it
  }
  std::weak_ptr<Client> weak = client;
  sink->OnClose([this, weak] {
    auto c = weak.lock();
    if (!c) return;
    std::lock_guard lock(mu_);
    clients_.erase(std::remove(clients_.begin(), clients_.end(), c), clients_.end());
  });

  // Replay one page from the log, outside any lock.
  int64_t last = after.value_or(0);
  std::string replay = ": klaxon event stream\nretry: 2000\n\n";
  bool full_page = false;
  Status read = store_.Read([&](store::Tx& tx) -> Status {
    if (!after) {
      auto s = log_.LastSeq(tx);
      if (!s.ok()) return s.status();
      last = *s;
      return Status::Ok();
    }
    auto page = log_.List(tx, last, std::nullopt, kMaxReplay);
    if (!page.ok()) return page.status();
    for (const auto& e : *page) {
      replay += Format(e);
      last = e.seq;
    }
    full_page = static_cast<int64_t>(page->size()) == kMaxReplay;
    return Status::Ok();
  });
  if (!read.ok()) return sink->Close();  // never leave a silent gap

  std::lock_guard lock(client->mu);
  sink->Write(std::move(replay));
  client->last_sent = last;
  if (full_page) return sink->Close();  // more to replay: the client reconnects from `last`
  for (const auto& [seq, msg] : client->buffered)
    if (seq > client->last_sent) {
      sink->Write(*msg);
      client->last_sent = seq;
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
    all.swap(clients_);
  }
  bus_.Unsubscribe(subscription_);
  cv_.notify_all();
  if (keepalive_.joinable()) keepalive_.join();
  for (auto& c : all) c->sink->Close();
}

}  // namespace klaxon::api
