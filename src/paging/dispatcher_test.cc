#include "paging/dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "notify/test_http_server.h"
#include "paging/paging_test_fixture.h"

namespace klaxon::paging {
namespace {

TEST(AddressBudgetTest, ABurstLeavesAtOnceThenTheRateHolds) {
  AddressBudget budget(/*rate=*/5, /*burst=*/3, /*now_ms=*/1000);
  EXPECT_EQ(budget.Take(1000), 0);
  EXPECT_EQ(budget.Take(1001), 0);
  EXPECT_EQ(budget.Take(1002), 0);
  // Empty: the next token comes 200 ms after the last refill (5 per second).
  int64_t wait = budget.Take(1002);
  EXPECT_GE(wait, 199);
  EXPECT_LE(wait, 200);
  EXPECT_GT(budget.Take(1100), 0);  // half a token by now
  EXPECT_EQ(budget.Take(1202), 0);  // one token
  EXPECT_GT(budget.Take(1203), 0);
}

TEST(AddressBudgetTest, RefillsUpToTheBurstOnly) {
  AddressBudget budget(5, 2, 0);
  EXPECT_EQ(budget.Take(0), 0);
  EXPECT_EQ(budget.Take(0), 0);
  // A minute of quiet refills two tokens, not 300.
  EXPECT_EQ(budget.Take(60'000), 0);
  EXPECT_EQ(budget.Take(60'000), 0);
  EXPECT_GT(budget.Take(60'000), 0);
}

TEST(AddressBudgetTest, ASlowRateStillAllowsOneDelivery) {
  AddressBudget budget(0.5, 0.2, 0);  // a burst under one is raised to one
  EXPECT_EQ(budget.Take(0), 0);
  int64_t wait = budget.Take(0);
  EXPECT_GE(wait, 1999);
  EXPECT_LE(wait, 2000);
}

TEST(AddressBudgetTest, IsFullAgainOnceRefilled) {
  AddressBudget budget(5, 2, 0);
  EXPECT_TRUE(budget.Full(0));
  EXPECT_EQ(budget.Take(0), 0);
  EXPECT_FALSE(budget.Full(0));
  EXPECT_FALSE(budget.Full(199));
  EXPECT_TRUE(budget.Full(200));  // one token back at 5 per second
}

// ---- A page prepared while its transaction is still open ---------------------------------

class PreparedDeliveryTest : public test::PagingTest {
 protected:
  void StartDispatcher() {
    StartEngine();
    dispatcher_ = std::make_unique<Dispatcher>(*store_, clock_, log_, metrics_, options_);
    pager_->SetOutboxListener([this](const QueuedDelivery& q) { dispatcher_->Queued(q); });
    pager_->SetOutboxPreparer([this](const QueuedDelivery& q) {
      ++prepared_;
      return dispatcher_->Prepare(q);
    });
    ASSERT_TRUE(dispatcher_->Start().ok());
  }
  void TearDown() override {
    if (dispatcher_) dispatcher_->Stop();
    dispatcher_.reset();
    PagingTest::TearDown();
  }
  // Starts the dispatcher; alice is reached through a webhook to `rx`.
  template <typename Server>
  void StartWithAWebhookTo(Server& rx) {
    StartDispatcher();
    alice_ = AddUser("alice");
    hook_ = MustAddMethod(alice_, "webhook", rx.Url("/hook"));
  }
  // A page to alice's webhook due now, its idempotency key and title as given.
  OutboxItem Page(const std::string& key, const std::string& title) {
    OutboxItem item;
    item.idem_key = key;
    item.kind = "page";
    item.user_id = alice_;
    item.method = hook_;
    item.message.title = title;
    item.message.incident_ref = "INC-1";
    item.not_before = clock_.Now();
    item.username = "alice";
    return item;
  }
  static bool WaitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 500; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  }
  template <typename Server>
  std::vector<std::string> Titles(Server& rx) {
    std::vector<std::string> out;
    for (const auto& r : rx.received()) {
      auto body = nlohmann::json::parse(r.body, nullptr, false);
      out.push_back(body.is_discarded() ? "?" : body.value("/data/title"_json_pointer, "?"));
    }
    return out;
  }

  Metrics metrics_;
  DispatcherOptions options_;  // as the dispatcher starts with
  std::unique_ptr<Dispatcher> dispatcher_;
  std::atomic<int> prepared_{0};  // deliveries that went through Prepare
  int64_t alice_ = 0;
  ContactMethod hook_;
};

TEST_F(PreparedDeliveryTest, IsSentOnlyOnceItsTransactionCommits) {
  notify::FakeHttpServer rx({{notify::Response(200, "OK", "")}});
  StartWithAWebhookTo(rx);
  size_t sent_before_commit = 99;
  Status s = store_->Write([&](store::Tx& tx) -> Status {
    KLAXON_RETURN_IF_ERROR(pager_->Enqueue(tx, Page("k1", "disk full")).status());
    // Rendered and signed by now; nothing leaves before the commit.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    sent_before_commit = rx.received().size();
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(prepared_.load(), 1);
  EXPECT_EQ(sent_before_commit, 0u);
  ASSERT_TRUE(WaitFor([&] { return Outbox().at(0).status == "sent"; }));
  EXPECT_EQ(Titles(rx), std::vector<std::string>{"disk full"});
}

TEST_F(PreparedDeliveryTest, IsDroppedWhenItsTransactionRollsBackAndItsIdServesTheNextRow) {
  notify::FakeHttpServer rx({{notify::Response(200, "OK", "")}});
  StartWithAWebhookTo(rx);
  int64_t dropped_id = 0;
  Status s = store_->Write([&](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(dropped_id, pager_->Enqueue(tx, Page("k1", "never")));
    return Invalid("the command fails after queueing the page");
  });
  EXPECT_FALSE(s.ok());
  // The next row takes the same id (SQLite reuses the rolled back rowid): it is delivered.
  int64_t id = 0;
  s = store_->Write([&](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(id, pager_->Enqueue(tx, Page("k2", "sent")));
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(prepared_.load(), 2);
  EXPECT_EQ(id, dropped_id);
  ASSERT_TRUE(WaitFor([&] { return Outbox().at(0).status == "sent"; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // room for a wrong second post
  EXPECT_EQ(Titles(rx), std::vector<std::string>{"sent"});
  EXPECT_EQ(Outbox().size(), 1u);
}

TEST_F(PreparedDeliveryTest, ARolledBackPageDoesNotUseUpItsAddressRate) {
  // One delivery per address, then one per 100 s: the rolled back page must not count.
  options_.per_address_burst = 1;
  options_.per_address_rate = 0.01;
  notify::FakeHttpServer rx({{notify::Response(200, "OK", "")}});
  StartWithAWebhookTo(rx);
  Status s = store_->Write([&](store::Tx& tx) -> Status {
    KLAXON_RETURN_IF_ERROR(pager_->Enqueue(tx, Page("k1", "never")).status());
    return Invalid("the command fails after queueing the page");
  });
  EXPECT_FALSE(s.ok());
  s = store_->Write(
      [&](store::Tx& tx) { return pager_->Enqueue(tx, Page("k2", "sent")).status(); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(WaitFor([&] { return Outbox().at(0).status == "sent"; }));
  EXPECT_EQ(Titles(rx), std::vector<std::string>{"sent"});
}

TEST_F(PreparedDeliveryTest, ARowDueLaterWaitsForItsTime) {
  notify::FakeHttpServer rx({{notify::Response(200, "OK", "")}});
  StartWithAWebhookTo(rx);
  OutboxItem later = Page("k1", "after two minutes");
  later.not_before = clock_.Now() + 2 * test::kMinute;
  Status s = store_->Write([&](store::Tx& tx) { return pager_->Enqueue(tx, later).status(); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(rx.received().empty());
  EXPECT_EQ(prepared_.load(), 0);  // queued after its commit, for its time
  clock_.Advance(2 * test::kMinute);
  ASSERT_TRUE(WaitFor([&] { return Outbox().at(0).status == "sent"; }));
  EXPECT_EQ(Titles(rx), std::vector<std::string>{"after two minutes"});
}

// ---- Sent from the committing thread, on an open connection ------------------------------

class SentAtCommitTest : public PreparedDeliveryTest {
 protected:
  SentAtCommitTest() : rx_({notify::Answer()}) {}
  // Starts the dispatcher and delivers a first page, which leaves a connection open (a
  // worker opens it: connecting may block, the committing thread never does).
  void StartWithAnOpenConnection() {
    StartWithAWebhookTo(rx_);
    ASSERT_TRUE(Commit("k0", "opening").ok());
    ASSERT_TRUE(WaitFor([&] { return dispatcher_->in_flight() == 0; }));
    ASSERT_EQ(Outbox().at(0).status, "sent");
    ASSERT_EQ(dispatcher_->sent_at_commit(), 0u);
    ASSERT_EQ(notify::KeptAliveConnections(rx_.Url("/hook")), 1u);
  }
  Status Commit(const std::string& key, const std::string& title) {
    return store_->Write(
        [&](store::Tx& tx) { return pager_->Enqueue(tx, Page(key, title)).status(); });
  }
  notify::KeepAliveServer rx_;
};

TEST_F(SentAtCommitTest, ThePageIsOnTheWireWhenTheCommitReturns) {
  StartWithAnOpenConnection();
  ASSERT_TRUE(Commit("k1", "disk full").ok());
  EXPECT_EQ(dispatcher_->sent_at_commit(), 1u);  // by the hook, before Write returned
  ASSERT_TRUE(WaitFor([&] { return dispatcher_->in_flight() == 0; }));
  EXPECT_EQ(Outbox().at(1).status, "sent");  // a worker read the answer
  EXPECT_EQ(Titles(rx_), (std::vector<std::string>{"opening", "disk full"}));
  EXPECT_EQ(rx_.connections(), 1);
  // Signed in the transaction, as any page is.
  const auto got = rx_.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[1].Header("webhook-signature"), "");
  EXPECT_EQ(got[1].Header("webhook-id"), "msg_" + std::to_string(Outbox().at(1).id));
}

TEST_F(SentAtCommitTest, NothingLeavesBeforeTheCommitOrWhenTheTransactionRollsBack) {
  StartWithAnOpenConnection();
  size_t before_commit = 99;
  Status s = store_->Write([&](store::Tx& tx) -> Status {
    KLAXON_RETURN_IF_ERROR(pager_->Enqueue(tx, Page("k1", "never")).status());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    before_commit = rx_.received().size();
    return Invalid("the command fails after queueing the page");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(before_commit, 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // room for a wrong post
  EXPECT_EQ(dispatcher_->sent_at_commit(), 0u);
  EXPECT_EQ(Titles(rx_), std::vector<std::string>{"opening"});
  EXPECT_EQ(dispatcher_->in_flight(), 0u);
  // The connection is still there for the next page.
  ASSERT_TRUE(Commit("k2", "sent").ok());
  EXPECT_EQ(dispatcher_->sent_at_commit(), 1u);
  ASSERT_TRUE(WaitFor([&] { return dispatcher_->in_flight() == 0; }));
  EXPECT_EQ(Titles(rx_), (std::vector<std::string>{"opening", "sent"}));
}

TEST_F(SentAtCommitTest, WaitsForItsAddressRateLikeAnyDelivery) {
  // One delivery to the address, then one per 100 s: the next page is not sent at its
  // commit, though a connection is open.
  options_.per_address_burst = 1;
  options_.per_address_rate = 0.01;
  StartWithAnOpenConnection();
  ASSERT_TRUE(Commit("k1", "held").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(dispatcher_->sent_at_commit(), 0u);
  EXPECT_EQ(Titles(rx_), std::vector<std::string>{"opening"});
  EXPECT_EQ(Outbox().at(1).status, "pending");
}

TEST_F(SentAtCommitTest, WaitsBehindADeliveryToTheSameAddress) {
  // The channel takes one delivery at a time: while the first page's answer is read, the
  // second is committed; it goes after it, from a worker.
  options_.per_channel_concurrency = 1;
  StartWithAnOpenConnection();
  Status s = store_->Write([&](store::Tx& tx) -> Status {
    KLAXON_RETURN_IF_ERROR(pager_->Enqueue(tx, Page("k1", "first")).status());
    return pager_->Enqueue(tx, Page("k2", "second")).status();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(dispatcher_->sent_at_commit(), 1u);  // the first; the second waits its turn
  ASSERT_TRUE(WaitFor([&] { return dispatcher_->in_flight() == 0; }));
  EXPECT_EQ(Titles(rx_), (std::vector<std::string>{"opening", "first", "second"}));
  for (const auto& row : Outbox()) EXPECT_EQ(row.status, "sent") << row.idem_key;
}

TEST_F(SentAtCommitTest, AStoppedDispatcherStillReadsTheAnswerOfAPageOnTheWire) {
  StartWithAnOpenConnection();
  ASSERT_TRUE(Commit("k1", "disk full").ok());
  dispatcher_->Stop();  // at once: the page left at the commit, its answer is read
  EXPECT_EQ(dispatcher_->sent_at_commit(), 1u);
  EXPECT_EQ(dispatcher_->in_flight(), 0u);
  EXPECT_EQ(Outbox().at(1).status, "sent");
  EXPECT_EQ(Titles(rx_), (std::vector<std::string>{"opening", "disk full"}));
}

}  // namespace
}  // namespace klaxon::paging
