#include "engine/timers.h"
#include "store/test_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace klaxon::engine {
namespace {

constexpr TimeMs kStart = 1795646741123;  // 2026-11-25T22:45:41.123Z
constexpr int64_t kSettleMs = 5000;

// One handler call as the test saw it.
struct Call {
  int64_t subject = 0;
  TimeMs due = 0;
  TimeMs now = 0;
};

class TimersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.status().ok()) << store_.status().ToString();
    timers_ = std::make_unique<Timers>(*store_, clock_);
  }
  void TearDown() override { timers_.reset(); }

  // Registers a handler for "t" that records its calls (and fails while `fail_` > 0).
  void OnT(Timers& timers) {
    timers.On("t", [this](store::Tx& tx, int64_t subject, TimeMs due) -> Status {
      // A side effect in the handler's transaction, to see whether it was kept.
      Status s = tx.Exec(
          "INSERT INTO settings(key, value) VALUES (?, '1') "
          "ON CONFLICT(key) DO UPDATE SET value = value + 1",
          {"t:" + std::to_string(subject)});
      if (!s.ok()) return s;
      std::lock_guard lock(mu_);
      calls_.push_back({subject, due, clock_.Now()});
      if (fail_ > 0) {
        --fail_;
        return Unavailable("handler failed on purpose");
      }
      return Status::Ok();
    });
  }
  void StartWithT() {
    OnT(*timers_);
    ASSERT_TRUE(timers_->Start().ok());
  }

  Status Set(const std::string& kind, int64_t subject, TimeMs due) {
    return store_->Write([&](store::Tx& tx) { return timers_->Set(tx, kind, subject, due); });
  }
  std::optional<TimeMs> DueAt(const std::string& kind, int64_t subject) {
    std::optional<TimeMs> out;
    Status s = store_->Read([&](store::Tx& tx) {
      auto r = timers_->DueAt(tx, kind, subject);
      if (!r.ok()) return r.status();
      out = *r;
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  // How many committed handler runs left their side effect for `subject`.
  int64_t Committed(int64_t subject) {
    int64_t n = 0;
    Status s = store_->Read([&](store::Tx& tx) {
      auto row =
          tx.QueryOne("SELECT value FROM settings WHERE key = ?", {"t:" + std::to_string(subject)});
      if (!row.ok()) return row.status();
      if (*row) n = (*row)->Int(0);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return n;
  }
  std::vector<Call> Calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  void AdvanceAndSettle(TimeMs ms) {
    clock_.Advance(ms);
    ASSERT_TRUE(timers_->Settle(kSettleMs));
  }

  store::TempStore store_{"klaxon_timers_test"};
  ManualClock clock_{kStart};
  std::unique_ptr<Timers> timers_;
  std::mutex mu_;
  std::vector<Call> calls_;
  int fail_ = 0;  // guarded by mu_
};

TEST_F(TimersTest, SettleReturnsTrueWhenIdle) {
  StartWithT();
  EXPECT_TRUE(timers_->Settle(kSettleMs));
  ASSERT_TRUE(Set("t", 1, kStart + 60'000).ok());
  EXPECT_TRUE(timers_->Settle(kSettleMs));  // pending but not due
  EXPECT_TRUE(Calls().empty());
  EXPECT_EQ(timers_->stats().pending, 1u);
}

TEST_F(TimersTest, FiresOnceWhenTheClockPassesItsDueTime) {
  StartWithT();
  ASSERT_TRUE(Set("t", 7, kStart + 1000).ok());
  EXPECT_EQ(DueAt("t", 7), kStart + 1000);

  AdvanceAndSettle(999);
  EXPECT_TRUE(Calls().empty());
  EXPECT_EQ(DueAt("t", 7), kStart + 1000);

  AdvanceAndSettle(1);
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].subject, 7);
  EXPECT_EQ(calls[0].due, kStart + 1000);
  EXPECT_EQ(calls[0].now, kStart + 1000);
  EXPECT_EQ(DueAt("t", 7), std::nullopt);  // the engine clears a fired timer
  EXPECT_EQ(Committed(7), 1);

  AdvanceAndSettle(60'000);
  EXPECT_EQ(Calls().size(), 1u);
  EXPECT_EQ(timers_->stats().fired, 1u);
}

TEST_F(TimersTest, SetInATransactionThatFailsDoesNotFire) {
  StartWithT();
  Status s = store_->Write([&](store::Tx& tx) {
    Status set = timers_->Set(tx, "t", 1, kStart + 1000);
    if (!set.ok()) return set;
    return Conflict("changed my mind");
  });
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_EQ(DueAt("t", 1), std::nullopt);
  EXPECT_EQ(timers_->stats().pending, 0u);
  AdvanceAndSettle(5000);
  EXPECT_TRUE(Calls().empty());
}

TEST_F(TimersTest, SetMovesATimerLater) {
  StartWithT();
  ASSERT_TRUE(Set("t", 1, kStart + 1000).ok());
  ASSERT_TRUE(Set("t", 1, kStart + 5000).ok());
  EXPECT_EQ(DueAt("t", 1), kStart + 5000);

  AdvanceAndSettle(1000);  // the stale heap entry pops and finds the row moved
  EXPECT_TRUE(Calls().empty());
  EXPECT_EQ(DueAt("t", 1), kStart + 5000);

  AdvanceAndSettle(4000);
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].due, kStart + 5000);
  AdvanceAndSettle(10'000);
  EXPECT_EQ(Calls().size(), 1u);
}

TEST_F(TimersTest, SetMovesATimerEarlier) {
  StartWithT();
  ASSERT_TRUE(Set("t", 1, kStart + 5000).ok());
  ASSERT_TRUE(Set("t", 1, kStart + 1000).ok());

  AdvanceAndSettle(1000);
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].due, kStart + 1000);

  AdvanceAndSettle(4000);  // the old entry finds nothing to do
  EXPECT_EQ(Calls().size(), 1u);
  EXPECT_EQ(Committed(1), 1);
}

TEST_F(TimersTest, ClearCancelsATimer) {
  StartWithT();
  ASSERT_TRUE(Set("t", 1, kStart + 1000).ok());
  ASSERT_TRUE(Set("t", 2, kStart + 1000).ok());
  ASSERT_TRUE(store_->Write([&](store::Tx& tx) { return timers_->Clear(tx, "t", 1); }).ok());
  EXPECT_EQ(DueAt("t", 1), std::nullopt);

  AdvanceAndSettle(2000);
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].subject, 2);
  EXPECT_EQ(timers_->stats().fired, 1u);
}

TEST_F(TimersTest, AFailedHandlerKeepsItsRowAndRunsAgainASecondLater) {
  StartWithT();
  {
    std::lock_guard lock(mu_);
    fail_ = 1;
  }
  ASSERT_TRUE(Set("t", 3, kStart + 1000).ok());

  AdvanceAndSettle(1000);
  ASSERT_EQ(Calls().size(), 1u);
  EXPECT_EQ(DueAt("t", 3), kStart + 1000);  // rolled back: the row is still there
  EXPECT_EQ(Committed(3), 0);               // and so is nothing else the handler wrote
  EXPECT_EQ(timers_->stats().fired, 0u);

  AdvanceAndSettle(999);
  EXPECT_EQ(Calls().size(), 1u);

  AdvanceAndSettle(1);
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].due, kStart + 1000);  // the recorded due, not the retry time
  EXPECT_EQ(DueAt("t", 3), std::nullopt);
  EXPECT_EQ(Committed(3), 1);
  EXPECT_EQ(timers_->stats().fired, 1u);
}

TEST_F(TimersTest, DuplicateHeapEntriesFireOnce) {
  OnT(*timers_);
  // Set before Start: the commit pushes it, and Start loads the row again.
  ASSERT_TRUE(Set("t", 1, kStart + 1000).ok());
  // The same timer set twice in one transaction and again in another.
  ASSERT_TRUE(store_
                  ->Write([&](store::Tx& tx) {
                    KLAXON_RETURN_IF_ERROR(timers_->Set(tx, "t", 1, kStart + 1000));
                    return timers_->Set(tx, "t", 1, kStart + 1000);
                  })
                  .ok());
  ASSERT_TRUE(timers_->Start().ok());
  EXPECT_GE(timers_->stats().pending, 4u);

  AdvanceAndSettle(1000);
  EXPECT_EQ(Calls().size(), 1u);
  EXPECT_EQ(Committed(1), 1);
  EXPECT_EQ(timers_->stats().fired, 1u);
  EXPECT_EQ(timers_->stats().pending, 0u);
}

TEST_F(TimersTest, TimersSurviveARestart) {
  StartWithT();
  ASSERT_TRUE(Set("t", 1, kStart + 1000).ok());
  ASSERT_TRUE(Set("t", 2, kStart + 10'000).ok());
  timers_.reset();  // the process stops

  clock_.Advance(5000);  // time passes while it is down: timer 1 is now overdue
  timers_ = std::make_unique<Timers>(*store_, clock_);
  StartWithT();
  ASSERT_TRUE(timers_->Settle(kSettleMs));
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].subject, 1);
  EXPECT_EQ(calls[0].due, kStart + 1000);

  AdvanceAndSettle(4999);
  EXPECT_EQ(Calls().size(), 1u);
  AdvanceAndSettle(1);
  calls = Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].subject, 2);
}

TEST_F(TimersTest, AHandlerMayReArmItsOwnTimer) {
  std::atomic<int> fires{0};
  timers_->On("tick", [&](store::Tx& tx, int64_t subject, TimeMs due) {
    ++fires;
    return timers_->Set(tx, "tick", subject, due + 1000);
  });
  ASSERT_TRUE(timers_->Start().ok());
  ASSERT_TRUE(Set("tick", 1, kStart + 1000).ok());
  for (int i = 0; i < 3; ++i) AdvanceAndSettle(1000);
  EXPECT_EQ(fires.load(), 3);
  EXPECT_EQ(DueAt("tick", 1), kStart + 4000);
  // Far behind: it catches up one period per round until it is in the future again.
  AdvanceAndSettle(5000);
  EXPECT_EQ(fires.load(), 8);
  EXPECT_EQ(DueAt("tick", 1), kStart + 9000);
}

TEST_F(TimersTest, ATimerOfUnknownKindIsDropped) {
  StartWithT();
  ASSERT_TRUE(Set("nobody-handles-this", 1, kStart + 1000).ok());
  AdvanceAndSettle(1000);
  EXPECT_EQ(DueAt("nobody-handles-this", 1), std::nullopt);
  EXPECT_TRUE(Calls().empty());
}

TEST_F(TimersTest, LatenessObserverSeesHowLateEachTimerFired) {
  std::vector<std::pair<std::string, int64_t>> seen;
  std::mutex seen_mu;
  timers_->SetLatenessObserver([&](const std::string& kind, int64_t late_ms) {
    std::lock_guard lock(seen_mu);
    seen.emplace_back(kind, late_ms);
  });
  StartWithT();
  ASSERT_TRUE(Set("t", 1, kStart + 1000).ok());
  AdvanceAndSettle(5000);
  std::lock_guard lock(seen_mu);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, "t");
  EXPECT_EQ(seen[0].second, 4000);
}

TEST_F(TimersTest, ManyTimersDueTogetherAllFire) {
  StartWithT();
  ASSERT_TRUE(store_
                  ->Write([&](store::Tx& tx) {
                    for (int64_t i = 1; i <= 100; ++i)
                      KLAXON_RETURN_IF_ERROR(timers_->Set(tx, "t", i, kStart + i));
                    return Status::Ok();
                  })
                  .ok());
  AdvanceAndSettle(50);
  EXPECT_EQ(Calls().size(), 50u);
  AdvanceAndSettle(50);
  EXPECT_EQ(Calls().size(), 100u);
  EXPECT_EQ(timers_->stats().fired, 100u);
}

TEST_F(TimersTest, SettleWaitsForARunningHandler) {
  std::atomic<bool> done{false};
  timers_->On("slow", [&](store::Tx&, int64_t, TimeMs) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    done = true;
    return Status::Ok();
  });
  ASSERT_TRUE(timers_->Start().ok());
  ASSERT_TRUE(Set("slow", 1, kStart).ok());
  ASSERT_TRUE(timers_->Settle(kSettleMs));
  EXPECT_TRUE(done.load());
  EXPECT_EQ(DueAt("slow", 1), std::nullopt);
}

// On the system clock the thread sleeps until the earliest timer: one set sooner must wake
// it, one set later need not (it fires when the thread next looks, after the earlier one).
TEST_F(TimersTest, OnTheSystemClockASoonerTimerWakesTheThreadAndALaterOneStillFires) {
  SystemClock clock;
  std::mutex mu;
  std::vector<std::pair<int64_t, TimeMs>> fired;  // subject, when
  Timers timers(*store_, clock);                  // stopped first, before what its handler touches
  timers.On("s", [&](store::Tx&, int64_t subject, TimeMs) {
    std::lock_guard lock(mu);
    fired.emplace_back(subject, clock.Now());
    return Status::Ok();
  });
  ASSERT_TRUE(timers.Start().ok());
  auto set = [&](int64_t subject, TimeMs due) {
    return store_->Write([&](store::Tx& tx) { return timers.Set(tx, "s", subject, due); });
  };
  const TimeMs t0 = clock.Now();
  ASSERT_TRUE(set(1, t0 + 60'000).ok());  // the thread now sleeps for a minute
  ASSERT_TRUE(set(2, t0 + 100).ok());     // sooner: must wake it
  ASSERT_TRUE(set(3, t0 + 300).ok());     // later than 2: fires after 2 without a wake
  auto count = [&] {
    std::lock_guard lock(mu);
    return fired.size();
  };
  for (int i = 0; i < 300 && count() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::lock_guard lock(mu);
  ASSERT_EQ(fired.size(), 2u);  // well before the minute is up
  EXPECT_EQ(fired[0].first, 2);
  EXPECT_GE(fired[0].second, t0 + 100);
  EXPECT_EQ(fired[1].first, 3);
  EXPECT_GE(fired[1].second, t0 + 300);
}

TEST_F(TimersTest, StopEndsTheThreadAndSettleReturns) {
  StartWithT();
  ASSERT_TRUE(Set("t", 1, kStart + 1000).ok());
  timers_->Stop();
  clock_.Advance(1000);
  EXPECT_TRUE(timers_->Settle(kSettleMs));
  EXPECT_TRUE(Calls().empty());
  EXPECT_EQ(DueAt("t", 1), kStart + 1000);  // kept for the next start
}

}  // namespace
}  // namespace klaxon::engine
