#include "alerts/suppression.h"

#include <gtest/gtest.h>

#include "alerts/alert_service_test_fixture.h"

namespace klaxon::alerts {
namespace {

// Intake's silences and maintenance windows come from SuppressionCache: changes between
// batches, in the batch's own transaction and rolled back ones all count at once.
class SuppressionCacheTest : public AlertServiceTest {
 protected:
  SuppressionCacheTest() : AlertServiceTest("klaxon_suppression_cache") {}

  void SetUp() override {
    AlertServiceTest::SetUp();
    Status s = store_->Write([&](store::Tx& tx) -> Status {
      auto svc = tx.Insert(
          "INSERT INTO services(name, description, owner, created_at) VALUES ('api','','',0)", {});
      if (!svc.ok()) return svc.status();
      service_id_ = *svc;
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  static intake::NormalizedAlert Alert(const std::string& instance) {
    intake::NormalizedAlert a;
    a.labels = {{"alertname", "Down"}, {"instance", instance}, {"service", "api"}};
    a.fingerprint = intake::Fingerprint(a.labels);
    a.starts_at = kStart;
    return a;
  }

  // Ingests one alert; true when it was silenced.
  bool Silenced(const std::string& instance) {
    size_t silenced = 99;
    Status s = store_->Write([&](store::Tx& tx) -> Status {
      auto r = alerts_.Ingest(tx, in_, {Alert(instance)});
      if (!r.ok()) return r.status();
      silenced = r->silenced;
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return silenced == 1;
  }

  Silence InstanceSilence(const std::string& regex, TimeMs from, TimeMs to) {
    Silence s;
    auto m = ParseMatcher({{"name", "instance"}, {"op", "=~"}, {"value", regex}}, "/m");
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    s.matchers.push_back(*m);
    s.starts_at = from;
    s.ends_at = to;
    return s;
  }

  int64_t CreateSilence(const Silence& silence) {
    int64_t id = 0;
    Status s = store_->Write([&](store::Tx& tx) -> Status {
      auto created = suppression_.CreateSilence(tx, silence, kAlice);
      if (!created.ok()) return created.status();
      id = created->id;
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return id;
  }

  SuppressionStore suppression_{clock_, log_};
  int64_t service_id_ = 0;
};

TEST_F(SuppressionCacheTest, ASilenceCreatedOrExpiredBetweenBatchesCountsAtOnce) {
  EXPECT_FALSE(Silenced("a-1")) << "no silence yet (and the cache now holds none)";
  int64_t id = CreateSilence(InstanceSilence("b-.*", kStart - 1000, kStart + 3'600'000));
  EXPECT_TRUE(Silenced("b-1"));
  EXPECT_FALSE(Silenced("a-2")) << "the regex decides";
  ASSERT_TRUE(
      store_->Write([&](store::Tx& tx) { return suppression_.ExpireSilence(tx, id, kAlice); })
          .ok());
  EXPECT_FALSE(Silenced("b-2"));
}

TEST_F(SuppressionCacheTest, ASilenceAheadOfItsStartCountsFromItsStartToItsEnd) {
  CreateSilence(InstanceSilence(".*", kStart + 60'000, kStart + 120'000));
  EXPECT_FALSE(Silenced("c-1"));
  clock_.Advance(61'000);
  EXPECT_TRUE(Silenced("c-2")) << "started, with no change to the rows";
  clock_.Advance(60'000);
  EXPECT_FALSE(Silenced("c-3")) << "over";
}

TEST_F(SuppressionCacheTest, AClockSetBackSeesTheSilencesOfThatTimeAgain) {
  CreateSilence(InstanceSilence(".*", kStart - 1000, kStart + 60'000));
  clock_.Advance(120'000);
  EXPECT_FALSE(Silenced("g-1")) << "over (and left out of the rows read now)";
  clock_.Advance(-90'000);  // the system clock stepped back
  EXPECT_TRUE(Silenced("g-2"));
}

TEST_F(SuppressionCacheTest, AChangeInTheBatchsOwnTransactionCounts) {
  EXPECT_FALSE(Silenced("d-1"));
  size_t silenced = 0;
  ASSERT_TRUE(store_
                  ->Write([&](store::Tx& tx) -> Status {
                    auto s = suppression_.CreateSilence(
                        tx, InstanceSilence("d-.*", kStart - 1, kStart + 60'000), kAlice);
                    if (!s.ok()) return s.status();
                    auto r = alerts_.Ingest(tx, in_, {Alert("d-2")});
                    if (!r.ok()) return r.status();
                    silenced = r->silenced;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(silenced, 1u);
}

TEST_F(SuppressionCacheTest, ARolledBackChangeIsForgotten) {
  EXPECT_FALSE(Silenced("e-1"));
  // The silence is read into the cache inside its own Tx, which then fails.
  Status s = store_->Write([&](store::Tx& tx) -> Status {
    auto created =
        suppression_.CreateSilence(tx, InstanceSilence(".*", kStart - 1, kStart + 60'000), kAlice);
    if (!created.ok()) return created.status();
    auto r = alerts_.Ingest(tx, in_, {Alert("e-2")});
    if (!r.ok()) return r.status();
    EXPECT_EQ(r->silenced, 1u);
    return Conflict("and then it fails");
  });
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_FALSE(Silenced("e-3")) << "the silence never committed";
}

TEST_F(SuppressionCacheTest, AMaintenanceWindowCancelledIsLiftedAtOnce) {
  EXPECT_FALSE(Silenced("f-1"));
  MaintenanceWindow w;
  w.service_id = service_id_;
  w.name = "upgrade";
  w.starts_at = kStart - 60'000;
  w.ends_at = kStart + 3'600'000;
  int64_t id = 0;
  ASSERT_TRUE(store_
                  ->Write([&](store::Tx& tx) -> Status {
                    auto created = suppression_.CreateWindow(tx, w, kAlice);
                    if (!created.ok()) return created.status();
                    id = created->id;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_TRUE(Silenced("f-2")) << "service api is in maintenance";
  ASSERT_TRUE(
      store_->Write([&](store::Tx& tx) { return suppression_.DeleteWindow(tx, id, kAlice); }).ok());
  EXPECT_FALSE(Silenced("f-3"));
}

}  // namespace
}  // namespace klaxon::alerts
