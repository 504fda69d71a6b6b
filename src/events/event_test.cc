#include "events/event.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "core/time_format.h"

namespace klaxon::events {
namespace {

// A fresh directory for one test, on tmpfs when there is one (SQLite's fsyncs make a
// disk-backed store ~50x slower to open).
std::string MakeTempDir(const char* prefix) {
  std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  std::string tmpl = base + "/" + prefix + "_XXXXXX";
  return mkdtemp(tmpl.data()) ? tmpl : "";
}

constexpr TimeMs kStart = 1795646741123;  // 2026-11-25T22:45:41.123Z

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("klaxon_event_test");
    ASSERT_FALSE(dir_.empty());
    store::SqliteOptions defaults;
    defaults.synchronous_full = false;
    auto s = store::OpenStore("sqlite:" + dir_ + "/klaxon.db", defaults);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    sub_ = bus_.Subscribe([this](const Event& e) { published_.push_back(e); });
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  Actor Alice() const { return {"user", 7, "alice"}; }

  // Appends one event in its own write; returns its seq (0 on failure).
  int64_t AppendOne(Event e) {
    int64_t seq = 0;
    Status s = store_->Write([&](store::Tx& tx) {
      auto r = log_.Append(tx, std::move(e));
      if (!r.ok()) return r.status();
      seq = *r;
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return seq;
  }

  std::vector<Event> ListAll(int64_t after = 0, std::optional<int64_t> incident = std::nullopt,
                             int64_t limit = 1000) {
    std::vector<Event> out;
    Status s = store_->Read([&](store::Tx& tx) {
      auto r = log_.List(tx, after, incident, limit);
      if (!r.ok()) return r.status();
      out = *r;
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{kStart};
  EventBus bus_;
  EventLog log_{clock_, bus_};
  int64_t sub_ = 0;
  std::vector<Event> published_;  // written by the writer thread, read after Write returns
};

TEST_F(EventLogTest, AppendAssignsIncreasingSeqAndStoresEverything) {
  int64_t s1 = AppendOne(Event::Of("incident.declared", Alice(), {{"title", "Checkout down"}}, 42));
  clock_.Advance(1500);
  int64_t s2 = AppendOne(Event::Of("service.created", Actor::System(), {{"name", "checkout"}}));
  int64_t s3 = AppendOne(Event::Of("incident.note_added", Alice(), {{"text", "ü \"quoted\""}}, 42));
  EXPECT_GT(s1, 0);
  EXPECT_GT(s2, s1);
  EXPECT_GT(s3, s2);

  auto events = ListAll();
  ASSERT_EQ(events.size(), 3u);
  const Event& a = events[0];
  EXPECT_EQ(a.seq, s1);
  EXPECT_EQ(a.at, kStart);
  EXPECT_EQ(a.kind, "incident.declared");
  EXPECT_EQ(a.actor.type, "user");
  EXPECT_EQ(a.actor.id, 7);
  EXPECT_EQ(a.actor.name, "alice");
  EXPECT_EQ(a.incident_id, 42);
  EXPECT_EQ(a.data, (nlohmann::json{{"title", "Checkout down"}}));

  const Event& b = events[1];
  EXPECT_EQ(b.seq, s2);
  EXPECT_EQ(b.at, kStart + 1500);
  EXPECT_EQ(b.actor.type, "system");
  EXPECT_EQ(b.actor.id, std::nullopt);
  EXPECT_EQ(b.actor.name, "klaxon");
  EXPECT_EQ(b.incident_id, std::nullopt);

  EXPECT_EQ(events[2].data["text"], "ü \"quoted\"");
}

// An event's data made ahead as text (Event::data_text) is stored as is, unless the
// decorator added to the data (a drill's "drill": true): then the data is dumped.
TEST_F(EventLogTest, DataMadeAheadIsStoredUnlessTheDecoratorAddedToIt) {
  log_.SetDecorator([](store::Tx&, Event& e) -> Status {
    if (e.incident_id == 7) e.data["drill"] = true;  // does not clear data_text itself
    return Status::Ok();
  });
  auto ahead = [this](std::optional<int64_t> incident) {
    Event e = Event::Of("alert.fired", Alice(), {{"alert_id", 1}}, incident);
    e.data_text = R"({"alert_id":1})";
    return e;
  };
  AppendOne(ahead(6));
  AppendOne(ahead(7));
  Status s = store_->Write([&](store::Tx& tx) {
    std::vector<Event> both;
    both.push_back(ahead(6));
    both.push_back(ahead(7));
    return log_.AppendAll(tx, std::move(both));
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<std::string> stored;
  s = store_->Read([&](store::Tx& tx) {
    auto rows = tx.Query("SELECT data FROM events ORDER BY seq");
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) stored.push_back(r.Str(0));
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(stored,
            (std::vector<std::string>{R"({"alert_id":1})", R"({"alert_id":1,"drill":true})",
                                      R"({"alert_id":1})", R"({"alert_id":1,"drill":true})"}));
}

TEST_F(EventLogTest, AppendKeepsAGivenTime) {
  Event e = Event::Of("clock.advanced", Actor::System(), {{"seconds", 60}});
  e.at = 1000;
  AppendOne(e);
  auto events = ListAll();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at, 1000);
}

TEST_F(EventLogTest, SeqIsUniqueUnderConcurrentAppends) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) AppendOne(Event::Of("incident.note_added", Alice(), {}, 1));
    });
  for (auto& th : threads) th.join();
  auto events = ListAll();
  ASSERT_EQ(events.size(), 40u);
  for (size_t i = 1; i < events.size(); ++i) EXPECT_GT(events[i].seq, events[i - 1].seq);
}

TEST_F(EventLogTest, PublishesOnlyAfterCommit) {
  size_t seen_inside = 99;
  Status s = store_->Write([&](store::Tx& tx) {
    auto r = log_.Append(tx, Event::Of("incident.acknowledged", Alice(), {}, 5));
    if (!r.ok()) return r.status();
    seen_inside = published_.size();
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen_inside, 0u) << "published before the commit";
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].kind, "incident.acknowledged");
  EXPECT_EQ(published_[0].incident_id, 5);
  EXPECT_EQ(published_[0].at, kStart);
  EXPECT_EQ(published_[0].seq, ListAll().at(0).seq);
}

TEST_F(EventLogTest, NothingPublishedOrStoredWhenTheCommandFails) {
  Status s = store_->Write([&](store::Tx& tx) {
    auto r = log_.Append(tx, Event::Of("incident.acknowledged", Alice(), {}, 5));
    if (!r.ok()) return r.status();
    return Conflict("the command fails after appending");
  });
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_TRUE(published_.empty());
  EXPECT_TRUE(ListAll().empty());
}

TEST_F(EventLogTest, AppendObserverRunsAfterCommitOnly) {
  std::vector<std::string> observed;
  log_.SetAppendObserver([&](const std::string& kind, size_t count) {
    observed.push_back(kind + " x" + std::to_string(count));
  });
  (void)store_->Write([&](store::Tx& tx) {
    (void)log_.Append(tx, Event::Of("incident.reopened", Alice(), {}, 1));
    return Internal("fail");
  });
  EXPECT_TRUE(observed.empty());
  AppendOne(Event::Of("incident.resolved", Alice(), {}, 1));
  EXPECT_EQ(observed, std::vector<std::string>{"incident.resolved x1"});
}

// A batch is told as runs of one kind, in order, and its events share one time.
TEST_F(EventLogTest, AppendAllTellsTheObserverEachRunOfAKindOnce) {
  std::vector<std::string> observed;
  log_.SetAppendObserver([&](const std::string& kind, size_t count) {
    observed.push_back(kind + " x" + std::to_string(count));
  });
  std::vector<Event> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(Event::Of("alert.fired", Alice(), {{"i", i}}, 1));
  batch.push_back(Event::Of("alert.resolved", Alice(), {}, 1));
  batch.push_back(Event::Of("alert.fired", Alice(), {}, 1));
  // The clock moves while the batch is decorated: one reading still times every event.
  log_.SetDecorator([&](store::Tx&, Event&) {
    clock_.Advance(1000);
    return Status::Ok();
  });
  ASSERT_TRUE(store_->Write([&](store::Tx& tx) { return log_.AppendAll(tx, batch); }).ok());
  EXPECT_EQ(observed,
            (std::vector<std::string>{"alert.fired x3", "alert.resolved x1", "alert.fired x1"}));
  auto all = ListAll();
  ASSERT_EQ(all.size(), 5u);
  for (const auto& e : all) EXPECT_EQ(e.at, kStart);
  batch.push_back(Event::Of("alert.unheard_of", Alice(), {}, 1));
  EXPECT_FALSE(store_->Write([&](store::Tx& tx) { return log_.AppendAll(tx, batch); }).ok())
      << "an unknown kind after a run of known ones is still refused";
  EXPECT_EQ(ListAll().size(), 5u);
}

TEST_F(EventLogTest, UnknownKindIsRefused) {
  Status s = store_->Write([&](store::Tx& tx) {
    auto r = log_.Append(tx, Event::Of("incident.exploded", Alice(), {}));
    return r.ok() ? Status::Ok() : r.status();
  });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("incident.exploded"), std::string::npos);
  EXPECT_TRUE(ListAll().empty());
  EXPECT_TRUE(published_.empty());
}

TEST_F(EventLogTest, ListAfterIncidentAndLimit) {
  std::vector<int64_t> seqs;
  for (int i = 0; i < 6; ++i)
    seqs.push_back(
        AppendOne(Event::Of("incident.note_added", Alice(), {{"i", i}}, i % 2 == 0 ? 10 : 11)));

  auto all = ListAll();
  ASSERT_EQ(all.size(), 6u);
  auto after = ListAll(seqs[3]);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].seq, seqs[4]);
  EXPECT_EQ(after[1].seq, seqs[5]);

  auto of10 = ListAll(0, 10);
  ASSERT_EQ(of10.size(), 3u);
  for (const auto& e : of10) EXPECT_EQ(e.incident_id, 10);
  EXPECT_EQ(of10[0].data["i"], 0);
  EXPECT_EQ(of10[2].data["i"], 4);

  auto of10_after = ListAll(seqs[0], 10, 1);
  ASSERT_EQ(of10_after.size(), 1u);
  EXPECT_EQ(of10_after[0].seq, seqs[2]);

  auto limited = ListAll(0, std::nullopt, 4);
  ASSERT_EQ(limited.size(), 4u);
  EXPECT_EQ(limited.back().seq, seqs[3]);

  EXPECT_TRUE(ListAll(seqs[5]).empty());
  EXPECT_TRUE(ListAll(0, 999).empty());
}

TEST_F(EventLogTest, LastSeq) {
  auto last = [&] {
    int64_t v = -1;
    EXPECT_TRUE(store_
                    ->Read([&](store::Tx& tx) {
                      auto r = log_.LastSeq(tx);
                      if (!r.ok()) return r.status();
                      v = *r;
                      return Status::Ok();
                    })
                    .ok());
    return v;
  };
  EXPECT_EQ(last(), 0);
  AppendOne(Event::Of("user.created", Actor::System(), {}));
  int64_t s = AppendOne(Event::Of("user.created", Actor::System(), {}));
  EXPECT_EQ(last(), s);
}

TEST_F(EventLogTest, EventJsonShape) {
  Event e = Event::Of("incident.acknowledged", Alice(), {{"k", "v"}}, 42);
  e.seq = 17;
  e.at = kStart;
  EXPECT_EQ(e.ToJson(), nlohmann::json::parse(R"({"seq":17,"at":"2026-11-25T22:45:41.123Z",
    "kind":"incident.acknowledged","actor":{"type":"user","id":7,"name":"alice"},
    "incident_id":42,"data":{"k":"v"}})"));
  Event sys = Event::Of("service.created", Actor::System(), nlohmann::json::object());
  nlohmann::json j = sys.ToJson();
  EXPECT_TRUE(j["incident_id"].is_null());
  EXPECT_TRUE(j["actor"]["id"].is_null());
  EXPECT_EQ(j["actor"]["type"], "system");
  EXPECT_TRUE(j["data"].is_object());
}

TEST(EventKinds, AreDottedUniqueAndKnown) {
  std::set<std::string_view> names;
  for (const auto& k : EventKinds()) {
    EXPECT_NE(k.name.find('.'), std::string_view::npos) << k.name;
    EXPECT_FALSE(k.description.empty()) << k.name;
    EXPECT_TRUE(names.insert(k.name).second) << "duplicate " << k.name;
    EXPECT_TRUE(IsKnownKind(k.name));
  }
  EXPECT_FALSE(IsKnownKind(""));
  EXPECT_FALSE(IsKnownKind("incident"));
  EXPECT_FALSE(IsKnownKind("Incident.Declared"));
}

TEST(EventBus, SubscribeAndUnsubscribe) {
  EventBus bus;
  std::vector<std::string> a, b;
  int64_t ia = bus.Subscribe([&](const Event& e) { a.push_back(e.kind); });
  int64_t ib = bus.Subscribe([&](const Event& e) { b.push_back(e.kind); });
  EXPECT_NE(ia, ib);
  EXPECT_EQ(bus.subscribers(), 2u);

  bus.Publish(Event::Of("user.created", Actor::System(), {}));
  bus.Unsubscribe(ia);
  EXPECT_EQ(bus.subscribers(), 1u);
  bus.Publish(Event::Of("token.created", Actor::System(), {}));
  bus.Unsubscribe(ia);  // twice is harmless
  bus.Unsubscribe(ib);
  EXPECT_EQ(bus.subscribers(), 0u);
  bus.Publish(Event::Of("token.revoked", Actor::System(), {}));

  EXPECT_EQ(a, std::vector<std::string>{"user.created"});
  EXPECT_EQ(b, (std::vector<std::string>{"user.created", "token.created"}));
}

TEST(EventBus, IdsAreNotReused) {
  EventBus bus;
  int64_t first = bus.Subscribe([](const Event&) {});
  bus.Unsubscribe(first);
  int64_t second = bus.Subscribe([](const Event&) {});
  EXPECT_NE(first, second);
}

}  // namespace
}  // namespace klaxon::events
