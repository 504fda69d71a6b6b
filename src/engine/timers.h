// The engine's durable timers. Every deadline (the next escalation step, a schedule's
// next handoff, ...) is a row (kind, subject, due_at) written in the same transaction as
// the decision that set it; the engine keeps a min-heap of them in memory, rebuilt from
// the store at start, and runs each kind's handler in a write transaction when the
// injected clock passes its due time. Handlers must be idempotent: they re-read state in
// their transaction, and a handler that sees its row gone or moved later does nothing.
// A handler normally clears or re-sets its own timer; if it fails the timer is retried
// a second later.
//
// Thread-safe. One engine thread submits each timer's handler as soon as it is due, without
// waiting for the ones before it to commit (at most kMaxInFlight at a time), so the store
// group-commits timers that come due together and a timer waits for at most the commit in
// progress. A timer whose handler is still in flight is not submitted again until it ends.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "store/store.h"

namespace klaxon::engine {

class Timers {
 public:
  // `due` is the timer's recorded due time (the handler may compare it with now).
  using Handler = std::function<Status(store::Tx&, int64_t subject, TimeMs due)>;

  Timers(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  ~Timers();

  // Register before Start().
  void On(const std::string& kind, Handler h) { handlers_[kind] = std::move(h); }

  // Sets (or moves) the timer `kind`/`subject` to `due`, in `tx`; the heap learns of it
  // when `tx` commits.
  Status Set(store::Tx& tx, const std::string& kind, int64_t subject, TimeMs due);
  Status Clear(store::Tx& tx, const std::string& kind, int64_t subject);
  Result<std::optional<TimeMs>> DueAt(store::Tx& tx, const std::string& kind, int64_t subject);

  // Loads every timer and starts the engine thread.
  Status Start();
  void Stop();
  // Wakes the thread (the manual clock moved).
  void Poke();
  // Blocks until every timer due at or before now has been handled (tests, with the
  // manual clock), or `timeout_ms` of real time passed. True when settled.
  bool Settle(int64_t timeout_ms);

  struct Stats {
    uint64_t fired = 0;
    size_t pending = 0;
  };
  Stats stats() const;
  // Observes lateness (now - due) of every fired timer, in ms.
  void SetLatenessObserver(std::function<void(const std::string& kind, int64_t late_ms)> fn) {
    lateness_ = std::move(fn);
  }

 private:
  using Entry = std::tuple<TimeMs, std::string, int64_t>;  // due, kind, subject
  using Key = std::pair<std::string, int64_t>;             // kind, subject
  void Push(TimeMs due, const std::string& kind, int64_t subject);
  void Run();
  void Fire(const Entry& entry);
  // The handler of `key` ended (committed, did nothing, or failed).
  void Done(const Key& key, bool fired, bool failed);

  store::Store& store_;
  const Clock& clock_;
  std::map<std::string, Handler> handlers_;
  std::function<void(const std::string&, int64_t)> lateness_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // the thread waits here
  std::condition_variable idle_cv_;  // Settle waits here
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  bool stop_ = false;
  std::set<Key> in_flight_;          // submitted, not yet ended
  std::multimap<Key, TimeMs> held_;  // came due again while in flight
  uint64_t fired_ = 0;
  std::thread thread_;
};

}  // namespace klaxon::engine
