// Events: the one log every change is appended to, and the in-process bus that fans
// committed events out to live subscribers (the console's server-sent events).
//
// Event kinds are a closed list (kEventKinds); docs/events.md describes each.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "store/store.h"

namespace klaxon::events {

struct Actor {
  std::string type = "system";  // "user", "token", "system"
  std::optional<int64_t> id;
  std::string name = "klaxon";

  static Actor System() { return {}; }
  nlohmann::json ToJson() const;
};

struct Event {
  int64_t seq = 0;
  TimeMs at = 0;
  std::string kind;
  Actor actor;
  std::optional<int64_t> incident_id;
  nlohmann::json data = nlohmann::json::object();
  // When not empty, `data` as stored: the same text `data.dump()` gives, made ahead by
  // the producer (alert intake writes one event per alert, and dump() is a tenth of its
  // writer's time). Whoever changes `data` after setting it clears it (the log does when
  // its decorator adds a key; debug builds check the text before it is stored).
  std::string data_text;

  nlohmann::json ToJson() const;
  static Event Of(std::string kind, Actor actor, nlohmann::json data,
                  std::optional<int64_t> incident_id = std::nullopt) {
    Event e;
    e.kind = std::move(kind);
    e.actor = std::move(actor);
    e.data = std::move(data);
    e.incident_id = incident_id;
    return e;
  }
};

struct EventKind {
  std::string_view name;
  std::string_view description;
};
std::span<const EventKind> EventKinds();
bool IsKnownKind(std::string_view kind);
// docs/events.md, generated from the table.
std::string EventsMarkdown();

// Fan-out of committed events to subscribers. Thread-safe; callbacks run on the thread
// that publishes (the store's writer) and must not block.
class EventBus {
 public:
  using Callback = std::function<void(const Event&)>;
  int64_t Subscribe(Callback cb);
  void Unsubscribe(int64_t id);
  void Publish(const Event& e);
  size_t subscribers() const;

 private:
  mutable std::mutex mu_;
  int64_t next_id_ = 1;
  std::map<int64_t, Callback> subs_;
};

// Appends events inside a write transaction and publishes them once it commits.
// Thread-safe (holds only references).
class EventLog {
 public:
  EventLog(const Clock& clock, EventBus& bus) : clock_(clock), bus_(bus) {}

  // Appends `e` (its `at` set to now unless given). Returns the assigned seq.
  Result<int64_t> Append(store::Tx& tx, Event e);
  // Appends many events, in order, with a few multi-row statements (alert intake: one
  // alert.fired per new alert of a batch). The hooks run for each event after all of
  // them are written.
  Status AppendAll(store::Tx& tx, std::vector<Event> events);
  // Events with seq > after, optionally of one incident, oldest first.
  Result<std::vector<Event>> List(store::Tx& tx, int64_t after, std::optional<int64_t> incident,
                                  int64_t limit);
  Result<int64_t> LastSeq(store::Tx& tx);
  // Told, after each commit, how many events of each kind it appended (a run of events of
  // one kind in one call: a batch of new alerts is one call, not one per alert).
  using AppendObserver = std::function<void(const std::string& kind, size_t count)>;
  void SetAppendObserver(AppendObserver fn) { observer_ = std::move(fn); }
  // Runs on every event before it is written, in the appending transaction: adds what
  // every event of a kind of incident carries (a drill's `"drill": true`). Set at start.
  using Decorator = std::function<Status(store::Tx&, Event&)>;
  void SetDecorator(Decorator fn) { decorator_ = std::move(fn); }
  // A reaction that runs inside the appending transaction, after the event row is
  // written: the paging engine starts and stops escalations this way, atomically with
  // the incident change. It may append events itself. Hooks run in the order added;
  // add them at start, before any Append.
  using TxHook = std::function<Status(store::Tx&, const Event&)>;
  void AddTxHook(TxHook fn) { tx_hooks_.push_back(std::move(fn)); }
  // Removes every hook (tests that rebuild the engine over the same log).
  void ClearTxHooks() { tx_hooks_.clear(); }

 private:
  // Runs the decorator; data_text goes when the decorator added to data.
  Status Decorate(store::Tx& tx, Event& e);

  const Clock& clock_;
  EventBus& bus_;
  AppendObserver observer_;
  Decorator decorator_;
  std::vector<TxHook> tx_hooks_;
};

}  // namespace klaxon::events
