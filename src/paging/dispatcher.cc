#include "paging/dispatcher.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "core/log.h"
#include "core/thread_name.h"
#include "core/time_format.h"

namespace klaxon::paging {

namespace {

constexpr int64_t kManualPollMs = 100;
constexpr size_t kMaxError = 300;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double JitterUnit() { return randombytes_uniform(1'000'000) / 1'000'000.0; }

// The idempotency key receivers see (webhook-id, Message-ID).
std::string MessageId(int64_t id) { return "msg_" + std::to_string(id); }

}  // namespace

int64_t AddressBudget::Take(int64_t now_ms) {
  if (now_ms > at_ms_) {
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - at_ms_) * rate_per_ms_);
    at_ms_ = now_ms;
  }
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return 0;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - tokens_) / rate_per_ms_)));
}

bool AddressBudget::Full(int64_t now_ms) const {
  const double refilled = now_ms > at_ms_ ? static_cast<double>(now_ms - at_ms_) * rate_per_ms_ : 0;
  return tokens_ + refilled >= burst_;
}

Dispatcher::Dispatcher(store::Store& store, const Clock& clock, events::EventLog& log,
                       Metrics& metrics, DispatcherOptions options)
    : store_(store), clock_(clock), log_(log), metrics_(metrics), options_(std::move(options)) {
  metrics_.Describe("klaxon_notifications_total", "counter",
                    "Notification delivery attempts, by channel and outcome.");
  metrics_.Describe("klaxon_notification_delivery_seconds", "histogram",
                    "Time from a notification's due time to its delivery.");
}

Dispatcher::~Dispatcher() { Stop(); }

Status Dispatcher::Start() {
  std::vector<std::pair<TimeMs, int64_t>> pending;
  Status s = store_.Read([&](store::Tx& tx) {
    auto rows = tx.Query("SELECT next_attempt_at, id FROM outbox WHERE status = 'pending'");
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) pending.emplace_back(r.Int(0), r.Int(1));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  {
    std::lock_guard lock(mu_);
    // A restart starts from the table: nothing is in flight or ready from before a Stop.
    in_flight_.clear();
    ready_.clear();
    sending_to_.clear();
    running_per_channel_.clear();
    for (auto& p : pending) heap_.push(p);
    stop_ = false;
  }
  LogInfo("notification dispatcher started", {{"pending", pending.size()}});
  scheduler_ = std::thread([this] {
    NameThisThread("klaxon-dispatch");
    Schedule();
  });
  for (int i = 0; i < options_.workers; ++i)
    workers_.emplace_back([this] {
      NameThisThread("klaxon-deliver");
      Work();
    });
  return Status::Ok();
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !scheduler_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  work_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
  workers_.clear();
}

void Dispatcher::Wake(int64_t id, TimeMs due) {
  {
    std::lock_guard lock(mu_);
    heap_.emplace(due, id);
  }
  cv_.notify_all();
}

void Dispatcher::Queued(const QueuedDelivery& q) {
  if (q.due > clock_.Now()) return Wake(q.id, q.due);
  auto fresh = q.username.empty() ? nullptr : std::make_shared<const QueuedDelivery>(q);
  {
    std::lock_guard lock(mu_);
    if (!in_flight_.insert(q.id).second) return;
    ready_.push_back({q.id, q.channel, q.address, std::move(fresh), nullptr});
  }
  work_cv_.notify_one();
}

std::function<void(bool)> Dispatcher::Prepare(const QueuedDelivery& q) {
  // Only what can leave at the commit is rendered in the Tx: a plain http:// post.
  std::shared_ptr<notify::PreparedPost> post;
  auto kind = notify::ParseChannel(q.channel);
  if (kind && *kind != notify::ChannelKind::kEmail && notify::PreparedPost::Takes(q.address)) {
    auto req = notify::BuildChatRequest(*kind, q.address, q.message, options_.templates,
                                        MessageId(q.id), q.secret, clock_.Now());
    if (req.ok()) post = notify::PreparedPost::Make(*req, options_.http_timeout_ms);
  }
  return [this, q = std::make_shared<const QueuedDelivery>(q), post](bool committed) {
    if (committed) SendCommitted(q, post);
  };
}

void Dispatcher::SendCommitted(std::shared_ptr<const QueuedDelivery> q,
                               std::shared_ptr<notify::PreparedPost> post) {
  Job job{q->id, q->channel, q->address, q, std::move(post), false};
  {
    // All under the lock, so that a Stop() finds the job either not taken or queued for a
    // worker to finish; SendNow never blocks.
    std::lock_guard lock(mu_);
    if (stop_ || !in_flight_.insert(job.id).second) return;  // stopped: sent after the restart
    // Its turn now, unless deliveries wait for theirs (queue order, the limits). Those
    // holding their turn are at the front: none waits when the last one holds its turn.
    const bool none_waiting = ready_.empty() || ready_.back().holds_turn;
    if (job.post && none_waiting && TakeTurn(job, SteadyMs()) == 0) {
      // The page leaves from this thread, now, when a connection to its receiver is open;
      // else a worker opens one. Either way a worker reads the answer.
      if (job.post->SendNow()) sent_at_commit_.fetch_add(1, std::memory_order_relaxed);
      job.holds_turn = true;
      ready_.push_front(std::move(job));
    } else {
      job.post = nullptr;  // sent later: rendered afresh then (a fresh signature timestamp)
      ready_.push_back(std::move(job));
    }
  }
  work_cv_.notify_one();
}

int64_t Dispatcher::TakeTurn(const Job& job, int64_t now_ms) {
  if (running_per_channel_[job.channel] >= options_.per_channel_concurrency) return -1;
  if (sending_to_.count(job.address)) return -1;  // its turn comes when that one ends
  auto budget =
      budget_per_address_
          .try_emplace(job.address, options_.per_address_rate, options_.per_address_burst, now_ms)
          .first;
  if (int64_t wait = budget->second.Take(now_ms); wait > 0) return wait;
  running_per_channel_[job.channel]++;
  sending_to_.insert(job.address);
  return 0;
}

void Dispatcher::Poke() { cv_.notify_all(); }

void Dispatcher::Schedule() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    TimeMs now = clock_.Now();
    if (heap_.empty() || heap_.top().first > now) {
      int64_t wait_ms = heap_.empty() ? 60'000 : heap_.top().first - now;
      if (clock_.manual()) wait_ms = std::min(wait_ms, kManualPollMs);
      cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wait_ms, 1)));
      continue;
    }
    std::vector<int64_t> due;
    while (!heap_.empty() && heap_.top().first <= now && due.size() < 500) {
      int64_t id = heap_.top().second;
      heap_.pop();
      if (!in_flight_.count(id)) due.push_back(id);
    }
    std::sort(due.begin(), due.end());
    due.erase(std::unique(due.begin(), due.end()), due.end());
    lock.unlock();
    std::vector<Job> jobs;
    std::vector<std::pair<TimeMs, int64_t>> later;
    Status s = store_.Read([&](store::Tx& tx) {
      for (int64_t id : due) {
        auto row = tx.QueryOne(
            "SELECT status, next_attempt_at, channel, address FROM outbox WHERE id = ?", {id});
        if (!row.ok()) return row.status();
        if (!*row || (*row)->Str(0) != "pending") continue;
        if ((*row)->Int(1) > now) {
          later.emplace_back((*row)->Int(1), id);
          continue;
        }
        jobs.push_back({id, (*row)->Str(2), (*row)->Str(3), nullptr, nullptr});
      }
      return Status::Ok();
    });
    lock.lock();
    if (!s.ok()) {
      LogError("outbox read failed; retrying", {{"error", s.message()}});
      for (int64_t id : due) heap_.emplace(now + 1000, id);
      cv_.wait_for(lock, std::chrono::milliseconds(200));
      continue;
    }
    for (auto& l : later) heap_.push(l);
    size_t added = 0;
    for (auto& j : jobs) {
      if (in_flight_.insert(j.id).second) {
        ready_.push_back(std::move(j));
        ++added;
      }
    }
    if (added == 1)
      work_cv_.notify_one();
    else if (added > 1)
      work_cv_.notify_all();
  }
}

void Dispatcher::Work() {
  std::unique_lock lock(mu_);
  while (true) {
    // A job sent at its commit is finished first, and even when stopping (its request is
    // on the wire). They are at the front.
    if (!ready_.empty() && ready_.front().holds_turn) {
      Job job = std::move(ready_.front());
      ready_.pop_front();
      Run(lock, job);
      continue;
    }
    if (stop_) return;
    // The first ready job whose channel has room and whose address may take another.
    int64_t now = SteadyMs();
    int64_t soonest = -1;
    if (budget_per_address_.size() >= budget_sweep_at_) {
      // Many addresses: forget the ones that are full again (a new bucket is the same),
      // keep those still limiting. Sweep again when the map has doubled.
      std::erase_if(budget_per_address_, [now](const auto& b) { return b.second.Full(now); });
      budget_sweep_at_ = std::max(kBudgetSweepAt, 2 * budget_per_address_.size());
    }
    auto pick = ready_.end();
    for (auto it = ready_.begin(); it != ready_.end(); ++it) {
      const int64_t wait = TakeTurn(*it, now);
      if (wait < 0) continue;
      if (wait > 0) {
        if (soonest < 0 || now + wait < soonest) soonest = now + wait;
        continue;
      }
      pick = it;
      break;
    }
    if (pick == ready_.end()) {
      if (soonest >= 0)
        work_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(soonest - now, 1)));
      else
        work_cv_.wait(lock);
      continue;
    }
    Job job = std::move(*pick);
    ready_.erase(pick);
    Run(lock, job);
  }
}

void Dispatcher::Run(std::unique_lock<std::mutex>& lock, const Job& job) {
  if (!ready_.empty()) work_cv_.notify_one();  // pass the rest on to another worker
  lock.unlock();
  Deliver(job);
  lock.lock();
  running_per_channel_[job.channel]--;
  sending_to_.erase(job.address);
  in_flight_.erase(job.id);
  if (!ready_.empty()) work_cv_.notify_one();  // a slot on this channel is free again
}

void Dispatcher::Deliver(const Job& job) {
  struct Row {
    std::string kind, channel, address, message, status, secret;
    std::optional<int64_t> incident_id;
    int64_t user_id = 0;
    int64_t attempts = 0;
    TimeMs due_at = 0;
    std::string username;
  } row;
  bool found = false;
  Status read = Status::Ok();
  if (job.fresh) {
    // Just committed: the row is as queued (a cancellation meanwhile is caught when the
    // outcome is written, as for any delivery in flight).
    const QueuedDelivery& q = *job.fresh;
    row = {q.kind,        q.channel, q.address, "",    "pending", q.secret,
           q.incident_id, q.user_id, 0,         q.due, q.username};
    found = true;
  } else {
    read = store_.Read([&](store::Tx& tx) {
      auto r = tx.QueryOne(
          "SELECT o.kind, o.channel, o.address, o.message, o.status, "
          "COALESCE(c.secret, s.secret, w.secret, ''), o.incident_id, o.user_id, o.attempts, "
          "o.due_at, COALESCE(u.username, '') "
          "FROM outbox o LEFT JOIN contact_methods c ON c.id = o.contact_method_id "
          "LEFT JOIN status_subscribers s ON s.id = o.subscriber_id "
          "LEFT JOIN webhooks w ON w.id = o.webhook_id "
          "LEFT JOIN users u ON u.id = o.user_id WHERE o.id = ?",
          {job.id});
      if (!r.ok()) return r.status();
      if (!*r) return Status::Ok();
      const auto& x = **r;
      row = {x.Str(0),    x.Str(1), x.Str(2), x.Str(3), x.Str(4), x.Str(5),
             x.OptInt(6), x.Int(7), x.Int(8), x.Int(9), x.Str(10)};
      found = true;
      return Status::Ok();
    });
  }
  if (!read.ok()) {
    Wake(job.id, clock_.Now() + 1000);
    return;
  }
  if (!found || row.status != "pending") return;

  auto kind = notify::ParseChannel(row.channel);
  TimeMs now = clock_.Now();
  // What to send (rendered and signed: in its Tx for a post sent at its commit), then send.
  std::optional<notify::Verdict> verdict;
  std::optional<notify::Mail> mail;
  std::optional<notify::HttpRequest> request;  // a post PreparedPost does not take
  std::shared_ptr<notify::PreparedPost> post = job.post;
  if (!post && !kind) {
    verdict =
        notify::Verdict{notify::Outcome::kGiveUp, std::nullopt, "unknown channel " + row.channel};
  } else if (!post) {
    const notify::Message message =
        job.fresh ? job.fresh->message
                  : notify::Message::FromJson(nlohmann::json::parse(row.message, nullptr, false));
    if (*kind == notify::ChannelKind::kEmail) {
      if (options_.smtp.url.empty()) {
        verdict = notify::Verdict{notify::Outcome::kGiveUp, std::nullopt,
                                  "email is not configured (--smtp-url)"};
      } else {
        auto m = notify::BuildMail(options_.smtp.from, row.address, message, options_.templates,
                                   MessageId(job.id), now);
        if (m.ok())
          mail = std::move(m).value();
        else
          verdict = notify::Verdict{notify::Outcome::kGiveUp, std::nullopt, m.status().message()};
      }
    } else {
      auto req = notify::BuildChatRequest(*kind, row.address, message, options_.templates,
                                          MessageId(job.id), row.secret, now);
      if (!req.ok())
        verdict = notify::Verdict{notify::Outcome::kGiveUp, std::nullopt, req.status().message()};
      else if (!(post = notify::PreparedPost::Make(*req, options_.http_timeout_ms)))
        request = std::move(req).value();
    }
  }
  if (mail) {
    auto r = notify::SendMail(options_.smtp, *mail, options_.http_timeout_ms);
    if (r.ok)
      verdict = notify::Verdict{notify::Outcome::kDelivered, std::nullopt, "250"};
    else
      verdict = notify::Verdict{r.permanent ? notify::Outcome::kGiveUp : notify::Outcome::kRetry,
                                std::nullopt, "smtp: " + r.error};
  } else if (post || request) {
    auto r = post ? post->Finish() : notify::PostHttp(*request, options_.http_timeout_ms);
    if (r.status == 0)
      verdict = notify::Verdict{notify::Outcome::kRetry, std::nullopt, "transport: " + r.error};
    else
      verdict = notify::Judge(*kind, r.status, r.body, r.headers);
  }
  if (verdict->detail.size() > kMaxError) verdict->detail.resize(kMaxError);

  const char* outcome = verdict->outcome == notify::Outcome::kDelivered ? "delivered"
                        : verdict->outcome == notify::Outcome::kRetry   ? "retry"
                                                                        : "failed";
  metrics_.Add("klaxon_notifications_total", {{"channel", row.channel}, {"outcome", outcome}});
  now = clock_.Now();
  int64_t attempts = row.attempts + 1;
  bool too_old = now - row.due_at >= options_.max_age_ms;
  TimeMs next = 0;
  if (verdict->outcome == notify::Outcome::kRetry && !too_old) {
    next = now + std::max<int64_t>(
                     notify::BackoffMs(static_cast<int>(row.attempts), options_.backoff_base_ms,
                                       options_.backoff_cap_ms, JitterUnit()),
                     verdict->retry_after_ms.value_or(0));
  }
  events::Actor actor{"system", std::nullopt, "notifier"};
  Status w = store_.Write([&](store::Tx& tx) -> Status {
    auto cur = tx.QueryOne("SELECT status FROM outbox WHERE id = ?", {job.id});
    if (!cur.ok()) return cur.status();
    if (!*cur) return Status::Ok();
    bool still_pending = (*cur)->Str(0) == "pending";
    nlohmann::json data = {{"notification", job.id},
                           {"user", row.username},
                           {"channel", row.channel},
                           {"kind", row.kind},
                           {"attempts", attempts}};
    if (verdict->outcome == notify::Outcome::kDelivered) {
      KLAXON_RETURN_IF_ERROR(
          tx.Exec("UPDATE outbox SET status = 'sent', attempts = ?, sent_at = ?, last_error = '' "
                  "WHERE id = ?",
                  {attempts, now, job.id}));
      return log_
          .Append(tx, events::Event::Of("notification.delivered", actor, data, row.incident_id))
          .status();
    }
    if (!still_pending) {  // cancelled meanwhile: keep the attempt count, send no more
      return tx.Exec("UPDATE outbox SET attempts = ?, last_error = ? WHERE id = ?",
                     {attempts, verdict->detail, job.id});
    }
    if (next != 0) {
      KLAXON_RETURN_IF_ERROR(tx.Exec(
          "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
          {attempts, next, verdict->detail, job.id}));
      tx.OnCommit([this, id = job.id, next] { Wake(id, next); });
      return Status::Ok();
    }
    KLAXON_RETURN_IF_ERROR(
        tx.Exec("UPDATE outbox SET status = 'failed', attempts = ?, last_error = ? WHERE id = ?",
                {attempts, verdict->detail, job.id}));
    data["error"] = verdict->detail;
    data["reason"] = verdict->outcome == notify::Outcome::kRetry ? "max_age" : "rejected";
    return log_.Append(tx, events::Event::Of("notification.failed", actor, data, row.incident_id))
        .status();
  });
  if (!w.ok()) {
    LogError("outbox update failed", {{"notification", job.id}, {"error", w.message()}});
    return;
  }
  if (verdict->outcome == notify::Outcome::kDelivered)
    metrics_.Observe("klaxon_notification_delivery_seconds", {{"channel", row.channel}},
                     std::max<int64_t>(0, now - row.due_at) / 1000.0);
  else
    LogWarn("notification not delivered", {{"notification", job.id},
                                           {"channel", row.channel},
                                           {"outcome", outcome},
                                           {"attempts", attempts},
                                           {"error", verdict->detail}});
}

}  // namespace klaxon::paging
