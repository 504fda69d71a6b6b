#include "engine/timers.h"

#include <algorithm>

#include "core/log.h"

namespace klaxon::engine {

namespace {
constexpr size_t kMaxBatch = 2000;           // timers handled per round
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
  thread_ = std::thread([this] { Run(); });
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
  {
    std::lock_guard lock(mu_);
    heap_.emplace(due, kind, subject);
  }
  cv_.notify_all();
}

bool Timers::Settle(int64_t timeout_ms) {
  Poke();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::unique_lock lock(mu_);
  return idle_cv_.wait_until(lock, deadline, [&] {
    if (stop_) return true;
    return !busy_ && (heap_.empty() || std::get<0>(heap_.top()) > clock_.Now());
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
    if (heap_.empty() || std::get<0>(heap_.top()) > now) {
      idle_cv_.notify_all();
      int64_t wait_ms = heap_.empty() ? 60'000 : std::get<0>(heap_.top()) - now;
      if (clock_.manual()) wait_ms = std::min(wait_ms, kManualPollMs);
      cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wait_ms, 1)));
      continue;
    }
    std::vector<Entry> batch;
    while (!heap_.empty() && std::get<0>(heap_.top()) <= now && batch.size() < kMaxBatch) {
      batch.push_back(heap_.top());
      heap_.pop();
    }
    // The same timer can sit in the heap twice (it was moved); handle it once.
    std::sort(batch.begin(), batch.end(), [](const Entry& a, const Entry& b) {
      return std::tie(std::get<1>(a), std::get<2>(a)) < std::tie(std::get<1>(b), std::get<2>(b));
    });
    batch.erase(std::unique(batch.begin(), batch.end(),
                            [](const Entry& a, const Entry& b) {
                              return std::get<1>(a) == std::get<1>(b) &&
                                     std::get<2>(a) == std::get<2>(b);
                            }),
                batch.end());
    busy_ = true;
    lock.unlock();
    FireBatch(std::move(batch));
    lock.lock();
    busy_ = false;
  }
  idle_cv_.notify_all();
}

void Timers::FireBatch(std::vector<Entry> batch) {
  std::mutex done_mu;
  std::condition_variable done_cv;
  size_t remaining = batch.size();
  std::vector<Entry> retry;
  uint64_t fired = 0;
  for (const auto& entry : batch) {
    const auto& [heap_due, kind, subject] = entry;
    auto handler = handlers_.find(kind);
    store_.Submit(
        [&, kind = kind, subject = subject, handler](store::Tx& tx) -> Status {
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
          tx.OnCommit([&fired, &done_mu] {
            std::lock_guard l(done_mu);
            ++fired;
          });
          return Status::Ok();
        },
        [&, entry](const Status& s) {
          std::lock_guard l(done_mu);
          if (!s.ok()) {
            LogError("timer handler failed; retrying", {{"kind", std::get<1>(entry)},
                                                        {"subject", std::get<2>(entry)},
                                                        {"error", s.message()}});
            retry.push_back(entry);
          }
          if (--remaining == 0) done_cv.notify_all();
        });
  }
  std::unique_lock l(done_mu);
  done_cv.wait(l, [&] { return remaining == 0; });
  std::lock_guard lock(mu_);
  fired_ += fired;
  bool stopping = stop_;
  for (auto& [due, kind, subject] : retry)
    if (!stopping) heap_.emplace(clock_.Now() + kRetryAfterFailure, kind, subject);
}

}  // namespace klaxon::engine
