// Delivers the notification outbox. Each row is sent when its next_attempt_at passes
// (by the injected clock), by a pool of workers with a concurrency limit per channel and
// a rate limit per destination address. The answer is judged per platform: delivered →
// `notification.delivered`; retry → next attempt after an exponential backoff with
// jitter (honouring Retry-After), unless the row is older than the maximum age; give up
// or too old → `notification.failed`. A row is claimed in memory only: after a crash it
// is sent again (at least once), carrying the same idempotency key (webhook-id,
// Message-ID) so receivers can drop the repeat.
//
// Thread-safe. Start() loads every pending row.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "events/event.h"
#include "notify/channels.h"
#include "notify/keepalive.h"
#include "notify/transport.h"
#include "paging/pager.h"
#include "store/store.h"

namespace klaxon::paging {

struct DispatcherOptions {
  notify::SmtpConfig smtp;
  notify::Templates templates;
  TimeMs max_age_ms = 3600 * 1000LL;
  int64_t backoff_base_ms = 2000;
  int64_t backoff_cap_ms = 5 * 60 * 1000;
  int workers = 8;
  int per_channel_concurrency = 4;
  double per_address_rate = 5;    // deliveries per second to one address, sustained
  double per_address_burst = 10;  // deliveries to one address at once, before the rate applies
  int http_timeout_ms = 15000;
};

// Deliveries to one address: a token bucket holding up to `burst` tokens, refilled at
// `rate` per second. Two pages to the same webhook a few milliseconds apart leave one
// right after the other (one delivery per address at a time, in queue order); a storm to
// one address is held to the sustained rate.
class AddressBudget {
 public:
  AddressBudget(double rate, double burst, int64_t now_ms)
      : rate_per_ms_(std::max(rate, 0.01) / 1000.0),
        burst_(std::max(burst, 1.0)),
        tokens_(burst_),
        at_ms_(now_ms) {}
  // Takes a token and returns 0, or returns how many ms until one is there.
  int64_t Take(int64_t now_ms);
  // Whether the bucket is full again: it then limits no more than a new one would.
  bool Full(int64_t now_ms) const;

 private:
  double rate_per_ms_;
  double burst_;
  double tokens_;
  int64_t at_ms_;
};

class Dispatcher {
 public:
  Dispatcher(store::Store& store, const Clock& clock, events::EventLog& log, Metrics& metrics,
             DispatcherOptions options);
  ~Dispatcher();

  Status Start();
  void Stop();
  // A row was queued (or re-queued) for `due`.
  void Wake(int64_t id, TimeMs due);
  // A new row was committed: when it is due already it goes straight to a worker, without
  // the scheduler's read (the worker reads the row anyway).
  void Queued(const QueuedDelivery& q);
  // A new due-now row whose Tx is still open. A plain http:// post (a webhook, a local
  // chat relay) is rendered and signed here, in the Tx; the returned function, called
  // with true once the Tx committed (false: it did not), then takes the delivery's turn
  // (the channel's concurrency, the address's order and rate) and writes the request from
  // the committing thread at once when a connection to the receiver is open, so no other
  // thread's wake-up lies between the commit and the page on the wire; a worker reads the
  // answer (or connects and sends, when none was open). Anything else (email, https, a
  // delivery waiting for its turn) goes to the workers as Queued does. Call it once.
  std::function<void(bool committed)> Prepare(const QueuedDelivery& q);
  void Poke();

  // How many pages the committing thread wrote on the wire itself (tests).
  uint64_t sent_at_commit() const { return sent_at_commit_.load(); }
  // Deliveries taken and not finished (tests).
  size_t in_flight() {
    std::lock_guard lock(mu_);
    return in_flight_.size();
  }

 private:
  struct Job {
    int64_t id = 0;
    std::string channel;
    std::string address;
    std::shared_ptr<const QueuedDelivery> fresh;  // a first attempt, as committed
    std::shared_ptr<notify::PreparedPost> post;   // rendered in its Tx, sent at its commit
    bool holds_turn = false;  // its channel slot, address turn and token are taken
  };
  // After a prepared row's commit (the committing thread).
  void SendCommitted(std::shared_ptr<const QueuedDelivery> q,
                     std::shared_ptr<notify::PreparedPost> post);
  // Under mu_: takes a slot on the job's channel, its address's turn and a token; 0 when
  // taken, -1 when the channel is full or the address busy, else ms until a token.
  int64_t TakeTurn(const Job& job, int64_t now_ms);
  void Schedule();  // the scheduler thread
  void Work();      // a worker thread
  // Delivers a job that holds its turn, with `lock` released meanwhile; then gives the turn back.
  void Run(std::unique_lock<std::mutex>& lock, const Job& job);
  void Deliver(const Job& job);

  store::Store& store_;
  const Clock& clock_;
  events::EventLog& log_;
  Metrics& metrics_;
  DispatcherOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;       // scheduler
  std::condition_variable work_cv_;  // workers
  std::priority_queue<std::pair<TimeMs, int64_t>, std::vector<std::pair<TimeMs, int64_t>>,
                      std::greater<>>
      heap_;
  std::set<int64_t> in_flight_;
  std::deque<Job> ready_;  // jobs sent at their commit first (holds_turn), then the rest
  std::map<std::string, int> running_per_channel_;
  std::map<std::string, AddressBudget> budget_per_address_;  // real (steady) ms
  size_t budget_sweep_at_ = kBudgetSweepAt;  // drop the full buckets when there are this many
  static constexpr size_t kBudgetSweepAt = 10'000;
  std::set<std::string> sending_to_;  // one delivery at a time per address, in queue order
  bool stop_ = false;
  std::atomic<uint64_t> sent_at_commit_{0};
  std::thread scheduler_;
  std::vector<std::thread> workers_;
};

}  // namespace klaxon::paging
