#include "engine/timers.h"

#include <algorithm>
#include <memory>

#include "core/log.h"
#include "core/thread_name.h"

namespace klaxon::engine {

namespace {
constexpr size_t kMaxInFlight = 2000;        // handlers submitted and not yet ended
constexpr TimeMs kRetryAfterFailure = 1000;  // a failed handler runs again this much later
constexpr int64_t kManualPollMs = 100;       // the manual clock moves without telling us
}  // namespace

Timers::~Timers() { Stop(); }

Status Timers::Set(store::Tx& tx, const std::string& kind, int64_t subject, TimeMs due) {
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO timers(kind, subject, due_at) VALUES (?,?,?) "
              "ON CONFLICT(kind, subject) DO UPDATE SET due_at = excluded.due_at",
              {kind, subject, due}));
  tx.OnCommit([this, kind, subject, due] { Push(due, kind, subject); });
  return Status::Ok();
}

Status Timers::Clear(store::Tx& tx, const std::string& kind, int64_t subject) {
  return tx.Exec("DELETE FROM timers WHERE kind = ? AND subject = ?", {kind, subject});
}

Result<std::optional<TimeMs>> Timers::DueAt(store::Tx& tx, const std::string& kind,
                                            int64_t subject) {
  auto row =
      tx.QueryOne("SELECT due_at FROM timers WHERE kind = ? AND subject = ?", {kind, subject});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<TimeMs>();
  return std::optional<TimeMs>((*row)->Int(0));
}

Status Timers::Start() {
  std::vector<Entry> all;
  Status s = store_.Read([&](store::Tx& tx) {
    auto rows = tx.Query("SELECT due_at, kind, subject FROM timers");
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) all.emplace_back(r.Int(0), r.Str(1), r.Int(2));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  {
    std::lock_guard lock(mu_);
    for (auto& e : all) heap_.push(std::move(e));
    stop_ = false;
  }
  LogInfo("engine started", {{"timers", all.size()}});
  thread_ = std::thread([this] {
    NameThisThread("klaxon-timers");
    Run();
  });
  return Status::Ok();
}

void Timers::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  idle_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Timers::Poke() { cv_.notify_all(); }

void Timers::Push(TimeMs due, const std::string& kind, int64_t subject) {
  bool sooner;
  {
    std::lock_guard lock(mu_);
    // The thread sleeps until the earliest timer (or a handler's end); one that is due no
    // sooner changes nothing for it. Most timers are an escalation's next step, minutes
    // away, set as its first page goes out: waking the thread then would only take a CPU
    // from the page.
    sooner = heap_.empty() || due < std::get<0>(heap_.top());
    heap_.emplace(due, kind, subject);
  }
  if (sooner) cv_.notify_all();
}

bool Timers::Settle(int64_t timeout_ms) {
  Poke();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::unique_lock lock(mu_);
  return idle_cv_.wait_until(lock, deadline, [&] {
    if (stop_) return true;
    return in_flight_.empty() && (heap_.empty() || std::get<0>(heap_.top()) > clock_.Now());
  });
}

Timers::Stats Timers::stats() const {
  std::lock_guard lock(mu_);
  return {fired_, heap_.size()};
}

void Timers::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    TimeMs now = clock_.Now();
    if (in_flight_.size() >= kMaxInFlight) {  // a handler's end wakes us
      cv_.wait(lock);
      continue;
    }
    if (heap_.empty() || std::get<0>(heap_.top()) > now) {
      if (in_flight_.empty()) idle_cv_.notify_all();
      int64_t wait_ms = heap_.empty() ? 60'000 : std::get<0>(heap_.top()) - now;
      if (clock_.manual()) wait_ms = std::min(wait_ms, kManualPollMs);
      cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wait_ms, 1)));
      continue;
    }
    std::vector<Entry> due;
    while (!heap_.empty() && std::get<0>(heap_.top()) <= now && in_flight_.size() < kMaxInFlight) {
      Entry e = heap_.top();
      heap_.pop();
      Key key{std::get<1>(e), std::get<2>(e)};
      // The same timer can sit in the heap twice (it was moved): one handler at a time.
      if (in_flight_.count(key)) {
        held_.emplace(std::move(key), std::get<0>(e));
        continue;
      }
      in_flight_.insert(std::move(key));
      due.push_back(std::move(e));
    }
    lock.unlock();
    for (const auto& e : due) Fire(e);
    lock.lock();
  }
  // Handlers still in flight call back into this object: wait for them.
  cv_.wait(lock, [&] { return in_flight_.empty(); });
  idle_cv_.notify_all();
}

void Timers::Fire(const Entry& entry) {
  const auto& [heap_due, kind, subject] = entry;
  auto handler = handlers_.find(kind);
  auto fired = std::make_shared<bool>(false);
  store_.Submit(
      [this, kind = kind, subject = subject, handler, fired](store::Tx& tx) -> Status {
        auto due = DueAt(tx, kind, subject);
        if (!due.ok()) return due.status();
        TimeMs now = clock_.Now();
        if (!*due || **due > now) return Status::Ok();  // moved or already handled
        KLAXON_RETURN_IF_ERROR(Clear(tx, kind, subject));
        if (handler == handlers_.end()) {
          LogError("timer of unknown kind dropped", {{"kind", kind}, {"subject", subject}});
          return Status::Ok();
        }
        KLAXON_RETURN_IF_ERROR(handler->second(tx, subject, **due));
        if (lateness_) {
          int64_t late = now - **due;
          tx.OnCommit([this, kind, late] { lateness_(kind, late); });
        }
        tx.OnCommit([fired] { *fired = true; });
        return Status::Ok();
      },
      [this, key = Key{kind, subject}, fired](const Status& s) {
        if (!s.ok()) {
          LogError("timer handler failed; retrying",
                   {{"kind", key.first}, {"subject", key.second}, {"error", s.message()}});
        }
        Done(key, *fired, !s.ok());
      });
}

void Timers::Done(const Key& key, bool fired, bool failed) {
  {
    std::lock_guard lock(mu_);
    in_flight_.erase(key);
    if (fired) ++fired_;
    if (failed && !stop_) heap_.emplace(clock_.Now() + kRetryAfterFailure, key.first, key.second);
    auto [first, last] = held_.equal_range(key);
    for (auto it = first; it != last; ++it) heap_.emplace(it->second, key.first, key.second);
    held_.erase(first, last);
    // Notified under the lock: once it is released, Stop() may return and the object go.
    cv_.notify_all();
    idle_cv_.notify_all();
  }
}

}  // namespace klaxon::engine
