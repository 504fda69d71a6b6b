#include "alerts/fingerprint_index.h"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <span>

#include "alerts/alert_service.h"
#include "alerts/alert_service_test_fixture.h"
#include "store/migrations.h"
#include "store/test_store.h"

namespace klaxon::alerts {
namespace {

std::vector<int64_t> Ids(const FingerprintIndex& ix, int64_t integration, std::string_view fp) {
  std::vector<int64_t> out;
  ix.Candidates(integration, fp, out);
  return out;
}

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

TEST(FingerprintIndex, FindsWhatWasAddedAndOnlyThat) {
  FingerprintIndex ix;
  EXPECT_TRUE(Ids(ix, 1, "0123456789abcdef").empty()) << "an empty index";
  ix.Add(1, "0123456789abcdef", 10);
  EXPECT_EQ(Ids(ix, 1, "0123456789abcdef"), std::vector<int64_t>{10});
  EXPECT_TRUE(Ids(ix, 2, "0123456789abcdef").empty()) << "another integration's alert";
  EXPECT_TRUE(Ids(ix, 1, "0123456789abcdee").empty());
  ix.Add(1, "0123456789abcdef", 10);
  EXPECT_EQ(ix.size(), 1u) << "a pair is held once";
  // A second id for the pair (the first one's insert was rolled back): both, oldest first.
  ix.Add(1, "0123456789abcdef", 42);
  ix.Add(1, "0123456789abcdef", 7);
  EXPECT_EQ(Ids(ix, 1, "0123456789abcdef"), (std::vector<int64_t>{7, 10, 42}));
}

TEST(FingerprintIndex, KeepsEveryEntryAsItGrows) {
  FingerprintIndex ix;
  constexpr int64_t kN = 100000;
  for (int64_t i = 1; i <= kN; ++i) ix.Add(i % 3, Hex(static_cast<uint64_t>(i) * 2654435761u), i);
  EXPECT_EQ(ix.size(), static_cast<size_t>(kN));
  int64_t wrong = 0;
  for (int64_t i = 1; i <= kN; ++i) {
    std::string fp = Hex(static_cast<uint64_t>(i) * 2654435761u);
    if (Ids(ix, i % 3, fp) != std::vector<int64_t>{i}) ++wrong;
    if (!Ids(ix, (i + 1) % 3, fp).empty()) ++wrong;
  }
  EXPECT_EQ(wrong, 0);
  // 16 bytes a slot, at most half full, doubled when it fills, and the old table kept
  // while its entries move: under 96 bytes per entry.
  EXPECT_LE(ix.memory_bytes(), static_cast<size_t>(kN) * 96);
}

// While the table grows, its entries move a few at a time: everything is found, in the
// old table or the new one, a pair still in the old one is not added twice, and the old
// table goes once it is empty.
TEST(FingerprintIndex, FindsEverythingWhileItsEntriesMoveToALargerTable) {
  FingerprintIndex ix;
  auto fp = [](int64_t i) { return Hex(static_cast<uint64_t>(i) * 2654435761u); };
  for (int64_t i = 1; i <= 512; ++i) ix.Add(1, fp(i), i);
  EXPECT_EQ(ix.memory_bytes(), 1024u * 16) << "half full, not grown yet";
  ix.Add(1, fp(513), 513);
  EXPECT_EQ(ix.memory_bytes(), (2048u + 1024u) * 16) << "grown; the old table still held";
  for (int64_t i = 1; i <= 513; ++i) EXPECT_EQ(Ids(ix, 1, fp(i)), std::vector<int64_t>{i}) << i;
  for (int64_t i = 1; i <= 20; ++i) ix.Add(1, fp(i), i);  // each already there
  EXPECT_EQ(ix.size(), 513u);
  EXPECT_EQ(ix.memory_bytes(), (2048u + 1024u) * 16) << "still moving";
  for (int64_t i = 1; i <= 513; ++i) EXPECT_EQ(Ids(ix, 1, fp(i)), std::vector<int64_t>{i}) << i;
  for (int64_t i = 514; i <= 800; ++i) ix.Add(1, fp(i), i);
  EXPECT_EQ(ix.memory_bytes(), 2048u * 16) << "every entry moved: the old table is gone";
  EXPECT_EQ(ix.size(), 800u);
  for (int64_t i = 1; i <= 800; ++i) EXPECT_EQ(Ids(ix, 1, fp(i)), std::vector<int64_t>{i}) << i;
}

// Probe chains that wrap past the old table's end are followed in both tables while the
// entries move: keys whose low bits are 1022 and 1023 fill the last slots of a 1,024-slot
// table and spill into its first ones.
TEST(FingerprintIndex, FindsAChainThatWrapsAroundWhileItMoves) {
  FingerprintIndex ix;
  std::vector<uint64_t> wrapping = {1022, 1023, 1023 + 1024, 1023 + 2048, 1022 + 4096};
  std::vector<int64_t> ids = {1, 2, 3, 4, 5};
  ix.AddAll(wrapping, ids);
  std::vector<uint64_t> more;
  std::vector<int64_t> more_ids;
  for (uint64_t k = 0; more.size() < 508; ++k) {  // 513 in all: one more than half full
    more.push_back(k * 1024 + 100 + (k % 800));
    more_ids.push_back(static_cast<int64_t>(100 + k));
  }
  ix.AddAll(std::span(more).first(507), std::span(more_ids).first(507));
  EXPECT_EQ(ix.memory_bytes(), 1024u * 16);
  ix.AddAll(std::span(more).subspan(507), std::span(more_ids).subspan(507));
  EXPECT_EQ(ix.memory_bytes(), (2048u + 1024u) * 16) << "growing: both tables";
  auto found = [&](uint64_t key) {
    std::vector<int64_t> out;
    ix.CandidatesOfAll(std::span(&key, 1), out);
    std::sort(out.begin(), out.end());
    return out;
  };
  for (size_t i = 0; i < wrapping.size(); ++i)
    EXPECT_EQ(found(wrapping[i]), std::vector<int64_t>{ids[i]}) << "while moving, key " << i;
  ix.AddAll(wrapping, ids);  // each already there, in the old table's wrapped slots
  EXPECT_EQ(ix.size(), 513u);
  for (int64_t i = 0; ix.memory_bytes() != 2048u * 16 && i < 1000; ++i)
    ix.Add(9, Hex(static_cast<uint64_t>(i)), 10'000 + i);
  EXPECT_EQ(ix.memory_bytes(), 2048u * 16) << "moved";
  for (size_t i = 0; i < wrapping.size(); ++i)
    EXPECT_EQ(found(wrapping[i]), std::vector<int64_t>{ids[i]}) << "after moving, key " << i;
}

// A batch's additions and lookups by key find what the one-by-one calls find, across the
// table's growth (a batch larger than the table grows it before any slot is taken).
TEST(FingerprintIndex, ABatchByKeyFindsWhatOneByOneFinds) {
  FingerprintIndex ix;
  constexpr int64_t kN = 5000;
  std::vector<uint64_t> keys;
  std::vector<int64_t> ids;
  for (int64_t i = 1; i <= kN; ++i) {
    keys.push_back(FingerprintIndex::Key(i % 2, Hex(static_cast<uint64_t>(i) * 40503u)));
    ids.push_back(i);
  }
  ix.AddAll(std::span(keys).first(10), std::span(ids).first(10));
  ix.AddAll(std::span(keys).subspan(10), std::span(ids).subspan(10));
  ix.AddAll(std::span(keys).first(3), std::span(ids).first(3));  // already there
  EXPECT_EQ(ix.size(), static_cast<size_t>(kN));
  int64_t wrong = 0;
  for (int64_t i = 1; i <= kN; ++i) {
    std::string fp = Hex(static_cast<uint64_t>(i) * 40503u);
    if (Ids(ix, i % 2, fp) != std::vector<int64_t>{i}) ++wrong;
  }
  EXPECT_EQ(wrong, 0);
  std::vector<int64_t> found;
  ix.CandidatesOfAll(keys, found);
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, ids);
  std::vector<uint64_t> absent = {FingerprintIndex::Key(3, "0123456789abcdef"),
                                  FingerprintIndex::Key(1, "fedcba9876543210")};
  found.clear();
  ix.CandidatesOfAll(absent, found);
  EXPECT_TRUE(found.empty());
  FingerprintIndex empty;
  empty.CandidatesOfAll(keys, found);
  EXPECT_TRUE(found.empty()) << "an empty index";
}

// AlertService on a real store: what intake finds through the index.
class AlertIndexTest : public AlertServiceTest {
 protected:
  AlertIndexTest() : AlertServiceTest("klaxon_alert_index") {}

  static intake::NormalizedAlert Alert(const std::string& instance, bool firing = true) {
    intake::NormalizedAlert a;
    a.labels = {{"alertname", "Down"}, {"instance", instance}};
    a.fingerprint = intake::Fingerprint(a.labels);
    a.firing = firing;
    a.starts_at = kStart;
    return a;
  }

  Result<IngestResult> Ingest(AlertService& svc, const std::vector<intake::NormalizedAlert>& b) {
    std::optional<Result<IngestResult>> out;
    Status s = store_->Write([&](store::Tx& tx) -> Status {
      out.emplace(svc.Ingest(tx, in_, b));
      return out->status();
    });
    if (!out) return s;
    return std::move(*out);
  }

  int64_t Count(const std::string& where = "1") {
    int64_t n = -1;
    Status s = store_->Read([&](store::Tx& tx) -> Status {
      auto r = tx.QueryOne("SELECT COUNT(*) FROM alerts WHERE " + where);
      if (!r.ok()) return r.status();
      n = (*r)->Int(0);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return n;
  }
};

// A blank summary or alert name is passed over for the title: refusing the alert (the
// declare requires a title) would make its sender drop it.
TEST_F(AlertIndexTest, ABlankSummaryOrNameIsNotTheTitle) {
  intake::NormalizedAlert blank_summary = Alert("x");
  blank_summary.annotations = {{"summary", "  \t"}};
  intake::NormalizedAlert blank_name;
  blank_name.labels = {{"alertname", "   "}, {"instance", "y"}};
  blank_name.fingerprint = intake::Fingerprint(blank_name.labels);
  blank_name.firing = true;
  blank_name.starts_at = kStart;
  for (const auto& [alert, title] : {std::pair{blank_summary, std::string("Down")},
                                     std::pair{blank_name, "Alert " + blank_name.fingerprint}}) {
    auto r = Ingest(alerts_, {alert});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->incidents_opened.size(), 1u);
    std::string got;
    ASSERT_TRUE(store_
                    ->Read([&](store::Tx& tx) -> Status {
                      auto row = tx.QueryOne("SELECT title FROM incidents ORDER BY id DESC");
                      if (!row.ok()) return row.status();
                      got = (*row)->Str(0);
                      return Status::Ok();
                    })
                    .ok());
    EXPECT_EQ(got, title);
    // The next alert goes to a new group: another alertname.
    in_.group_by = {"instance"};
  }
}

TEST_F(AlertIndexTest, ARepeatRefreshesTheStoredAlert) {
  auto first = Ingest(alerts_, {Alert("a"), Alert("b")});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->new_alerts, 2u);
  auto again = Ingest(alerts_, {Alert("a"), Alert("c"), Alert("a")});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->new_alerts, 1u) << "c";
  EXPECT_EQ(again->refreshed, 2u) << "a, twice";
  EXPECT_EQ(Count(), 3);
  EXPECT_EQ(Count("count = 3"), 1) << "a: seen three times, one row";
  auto resolved = Ingest(alerts_, {Alert("b", false)});
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->resolved, 1u);
  EXPECT_EQ(Count("status = 'resolved'"), 1);
}

TEST_F(AlertIndexTest, AServiceStartedLaterFindsTheStoredAlerts) {
  ASSERT_TRUE(Ingest(alerts_, {Alert("a"), Alert("b")}).ok());
  AlertService restarted(clock_, log_, incidents_);  // as after a restart: nothing in memory
  EXPECT_EQ(restarted.indexed_alerts(), 0u);
  auto read = [&] {
    std::optional<store::Row> found;
    Status s = store_->Read([&](store::Tx& tx) -> Status {
      auto r = restarted.FindAlert(tx, in_.id, Alert("a").fingerprint, "status");
      if (!r.ok()) return r.status();
      found = *r;
      return Status::Ok();
    });
    return std::make_pair(s, found);
  };
  EXPECT_EQ(read().first.code(), Code::kInternal) << "a reader cannot load the index";
  auto again = Ingest(restarted, {Alert("a"), Alert("b", false), Alert("c")});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->refreshed, 1u);
  EXPECT_EQ(again->resolved, 1u);
  EXPECT_EQ(again->new_alerts, 1u);
  EXPECT_EQ(Count(), 3);
  EXPECT_EQ(restarted.indexed_alerts(), 3u);
  auto [st, found] = read();
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(found.has_value()) << "a reader finds it once a write loaded the index";
  EXPECT_EQ(found->Str(0), "firing");
  // PagerDuty's resolve by fingerprint goes through the index too.
  Status s = store_->Write([&](store::Tx& tx) -> Status {
    IngestResult r;
    auto done = restarted.ResolveKnownAlert(tx, in_, Alert("c", false), r);
    if (!done.ok()) return done.status();
    EXPECT_TRUE(*done);
    auto unknown = restarted.ResolveKnownAlert(tx, in_, Alert("zz", false), r);
    if (!unknown.ok()) return unknown.status();
    EXPECT_FALSE(*unknown);
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Count("status = 'resolved'"), 2);
}

TEST_F(AlertIndexTest, ARolledBackInsertIsNotTakenForAnotherAlert) {
  ASSERT_TRUE(Ingest(alerts_, {Alert("a")}).ok());
  // x is written and indexed, then its command fails: its row is gone, its id stays in the
  // index, and the next new alert (y) gets the same id.
  Status failed = store_->Write([&](store::Tx& tx) -> Status {
    auto r = alerts_.Ingest(tx, in_, {Alert("x")});
    if (!r.ok()) return r.status();
    return Internal("the command fails after its writes");
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(Count(), 1);
  EXPECT_EQ(alerts_.indexed_alerts(), 2u) << "a, and x's id, left behind";
  auto y = Ingest(alerts_, {Alert("y")});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->new_alerts, 1u);
  EXPECT_EQ(Count("id = 2 AND json_extract(labels, '$.instance') = 'y'"), 1)
      << "y took the id x had";
  auto x = Ingest(alerts_, {Alert("x")});
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_EQ(x->new_alerts, 1u) << "x is new: the row its stale id names is y";
  EXPECT_EQ(x->refreshed, 0u);
  auto both = Ingest(alerts_, {Alert("x"), Alert("y")});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->refreshed, 2u);
  EXPECT_EQ(Count(), 3);
}

// Migration 18 copies the alerts table to drop its UNIQUE (integration_id, fingerprint): a
// database made before it keeps every alert, with its id.
TEST(AlertsMigration, KeepsEveryAlertAndDropsTheFingerprintIndex) {
  std::string dir = store::MakeTempDir("klaxon_alerts_migration");
  ASSERT_FALSE(dir.empty());
  std::string path = dir + "/klaxon.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    auto exec = [&](const std::string& sql) {
      char* err = nullptr;
      int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
      EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "") << " in " << sql.substr(0, 60);
      sqlite3_free(err);
    };
    exec("PRAGMA journal_mode=WAL");
    exec(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at INTEGER NOT NULL)");
    for (const auto& m : store::SqliteMigrations()) {
      if (m.version >= 18) break;
      exec(std::string(m.sql));
      exec("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", 'm', 0)");
    }
    exec(
        "INSERT INTO integrations(id, name, kind, key, group_by, auto_resolve, flap_window_s, "
        "created_at) VALUES (3, 'prom', 'prometheus', 'k', '[\"alertname\"]', 1, 300, 0)");
    exec(
        "INSERT INTO alerts(id, integration_id, fingerprint, status, labels, annotations, "
        "generator_url, starts_at, first_seen, last_seen, count, group_key, silenced, "
        "noise_reason) VALUES (41, 3, '00000000000000aa', 'firing', '{\"a\":\"1\"}', '{}', '', "
        "5, 5, 6, 2, 'g', 1, 'flaky'), (97, 3, '00000000000000bb', 'resolved', '{}', '{}', "
        "'http://x', 5, 5, 6, 1, 'g', 0, NULL)");
    sqlite3_close(db);
  }
  {
    store::SqliteOptions o;
    o.synchronous_full = false;
    auto st = store::OpenStore("sqlite:" + path, o);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    Status s = (*st)->Read([&](store::Tx& tx) -> Status {
      auto rows = tx.Query(
          "SELECT id, integration_id, fingerprint, status, labels, generator_url, count, "
          "silenced, noise_reason FROM alerts ORDER BY id");
      if (!rows.ok()) return rows.status();
      EXPECT_EQ(rows->size(), 2u);
      if (rows->size() != 2) return Status::Ok();
      EXPECT_EQ((*rows)[0].Int(0), 41);
      EXPECT_EQ((*rows)[0].Str(2), "00000000000000aa");
      EXPECT_EQ((*rows)[0].Str(4), "{\"a\":\"1\"}");
      EXPECT_EQ((*rows)[0].Int(6), 2);
      EXPECT_EQ((*rows)[0].Int(7), 1);
      EXPECT_EQ((*rows)[0].Str(8), "flaky");
      EXPECT_EQ((*rows)[1].Int(0), 97);
      EXPECT_EQ((*rows)[1].Str(3), "resolved");
      EXPECT_EQ((*rows)[1].Str(5), "http://x");
      EXPECT_TRUE((*rows)[1].IsNull(8));
      auto idx = tx.Query(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts' "
          "ORDER BY name");
      if (!idx.ok()) return idx.status();
      std::vector<std::string> names;
      for (const auto& r : *idx) names.push_back(r.Str(0));
      EXPECT_EQ(names, (std::vector<std::string>{"alerts_by_incident", "alerts_firing_leases"}));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    (*st)->Shutdown();
  }
  std::filesystem::remove_all(dir);
}

// A new alert's alert.fired event is stored with its data serialized ahead of the write
// (events::Event::data_text): the same text data.dump() gives, names escaped as JSON.
TEST_F(AlertIndexTest, ANewAlertsEventIsStoredAsItsDataDumps) {
  std::vector<intake::NormalizedAlert> batch;
  for (std::string name :
       {std::string("Down"), std::string("Quote \" and \\ back"),
        std::string("Tab\tnew\nline \x01 \x1f \x7f \b\f\r ctl"), std::string("Ünïcødé ✓")}) {
    intake::NormalizedAlert a = Alert("host-" + std::to_string(batch.size()));
    a.labels["alertname"] = name;
    a.fingerprint = intake::Fingerprint(a.labels);
    batch.push_back(a);
  }
  auto r = Ingest(alerts_, batch);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::pair<std::string, int64_t>> stored;
  Status s = store_->Read([&](store::Tx& tx) -> Status {
    auto rows = tx.Query(
        "SELECT e.data, a.id FROM events e JOIN alerts a ON a.id = "
        "json_extract(e.data, '$.alert_id') WHERE e.kind = 'alert.fired' "
        "ORDER BY e.seq");
    if (!rows.ok()) return rows.status();
    for (const auto& row : *rows) stored.emplace_back(row.Str(0), row.Int(1));
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(stored.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    nlohmann::json want = {{"alert_id", stored[i].second},
                           {"fingerprint", batch[i].fingerprint},
                           {"alertname", batch[i].labels["alertname"]}};
    EXPECT_EQ(stored[i].first, want.dump()) << i;
  }
}

// Not a test: the writer's work for intake (100 batches of 100 new alerts, one group), to
// time or profile in-process (`--gtest_also_run_disabled_tests --gtest_filter=*Profiling*`,
// under `perf stat` or `valgrind --tool=callgrind`).
TEST_F(AlertIndexTest, DISABLED_IngestForProfiling) {
  for (int b = 0; b < 100; ++b) {
    std::vector<intake::NormalizedAlert> batch;
    for (int i = 0; i < 100; ++i) {
      intake::NormalizedAlert a = Alert("host-" + std::to_string(b) + "-" + std::to_string(i));
      a.annotations = {{"summary", "instance is down"}};
      batch.push_back(std::move(a));
    }
    auto r = Ingest(alerts_, batch);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
}

}  // namespace
}  // namespace klaxon::alerts
