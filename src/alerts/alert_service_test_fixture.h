// A test fixture shared by the alerts tests: AlertService on a real store (a temporary
// SQLite database), a manual clock at kStart, and one Prometheus integration grouped by
// alertname (`in_`), created by SetUp.
#pragma once

#include <gtest/gtest.h>

#include "alerts/alert_service.h"
#include "store/test_store.h"

namespace klaxon::alerts {

inline constexpr TimeMs kStart = 1795646741123;  // 2026-11-25T22:45:41.123Z
inline const events::Actor kAlice{"user", 1, "alice"};

class AlertServiceTest : public ::testing::Test {
 protected:
  explicit AlertServiceTest(const char* store_prefix) : store_(store_prefix) {}

  void SetUp() override {
    ASSERT_TRUE(store_.status().ok()) << store_.status().ToString();
    Status s = store_->Write([&](store::Tx& tx) -> Status {
      Integration spec;
      spec.name = "prom";
      spec.kind = "prometheus";
      spec.group_by = {"alertname"};
      auto in = alerts_.CreateIntegration(tx, spec, kAlice);
      if (!in.ok()) return in.status();
      in_ = *in;
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  store::TempStore store_;
  ManualClock clock_{kStart};
  events::EventBus bus_;
  events::EventLog log_{clock_, bus_};
  incidents::IncidentService incidents_{clock_, log_};
  AlertService alerts_{clock_, log_, incidents_};
  Integration in_;
};

}  // namespace klaxon::alerts
