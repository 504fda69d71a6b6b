// A test fixture for the paging module's tests (people_test, catalog_test, pager_test):
// a real SQLite store in a temporary directory, a manual clock, the event log, the
// incident service, People and Catalog; the engine (Timers + Pager) is built on demand
// and can be torn down and rebuilt over the same store to simulate a restart.
// Test-only; one test thread (the engine has its own).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/clock.h"
#include "engine/timers.h"
#include "events/event.h"
#include "incidents/incident_service.h"
#include "paging/catalog.h"
#include "paging/pager.h"
#include "paging/people.h"
#include "store/store.h"

namespace klaxon::paging::test {

inline constexpr TimeMs kStart = 1795646741123;  // 2026-11-25T22:45:41.123Z, a Wednesday
inline constexpr TimeMs kMinute = 60'000;
inline constexpr int64_t kSettleMs = 5000;

// A fresh directory for one test, on tmpfs when there is one.
inline std::string MakeTempDir(const char* prefix) {
  std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  std::string tmpl = base + "/" + prefix + "_XXXXXX";
  return mkdtemp(tmpl.data()) ? tmpl : "";
}

// One row of the outbox table.
struct OutboxRow {
  int64_t id = 0;
  std::string idem_key;
  std::string kind;
  std::optional<int64_t> incident_id;
  int64_t user_id = 0;
  int64_t contact_method_id = 0;
  std::string channel;
  std::string address;
  nlohmann::json message;
  std::string status;
  TimeMs due_at = 0;
  TimeMs next_attempt_at = 0;
  std::string last_error;
};

// The escalations row of an incident.
struct EscalationRow {
  int64_t policy_id = 0;
  std::string state;
  int64_t step = 0;
  int64_t repeat = 0;
  int64_t fired = 0;
};

class PagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("klaxon_paging_test");
    ASSERT_FALSE(dir_.empty());
    store::SqliteOptions o;
    o.synchronous_full = false;
    auto s = store::OpenStore("sqlite:" + dir_ + "/klaxon.db", o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    StopEngine();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Builds Timers and Pager over the store, installs the pager's hooks and starts the
  // engine thread (as app.cc does).
  void StartEngine() {
    timers_ = std::make_unique<engine::Timers>(*store_, clock_);
    PagerOptions o;
    o.public_url = "https://klaxon.example";
    o.link_key = std::string(32, 'k');
    pager_ = std::make_unique<Pager>(clock_, log_, *timers_, people_, catalog_, incidents_, o);
    pager_->Install();
    ASSERT_TRUE(timers_->Start().ok());
  }
  // The process stops: the engine thread first, then the pager.
  void StopEngine() {
    if (timers_) timers_->Stop();
    log_.ClearTxHooks();  // the pager's hook dies with it
    pager_.reset();
    timers_.reset();
  }
  void RestartEngine() {
    StopEngine();
    StartEngine();
  }
  void Settle() { ASSERT_TRUE(timers_->Settle(kSettleMs)); }
  void AdvanceAndSettle(TimeMs ms) {
    clock_.Advance(ms);
    Settle();
  }

  // Runs `fn` in a write (or read) transaction and returns what it returned.
  template <typename F>
  auto Run(bool write, F fn) {
    using Ret = std::invoke_result_t<F, store::Tx&>;
    std::optional<Ret> out;
    auto body = [&](store::Tx& tx) -> Status {
      out.emplace(fn(tx));
      if constexpr (std::is_same_v<Ret, Status>)
        return *out;
      else
        return out->status();
    };
    Status s = write ? store_->Write(body) : store_->Read(body);
    if (!out || (!s.ok() && out->ok())) return Ret(s);
    return std::move(*out);
  }
  template <typename F>
  auto InWrite(F fn) {
    return Run(true, fn);
  }
  template <typename F>
  auto InRead(F fn) {
    return Run(false, fn);
  }

  // --- Building the world --------------------------------------------------------------

  int64_t AddUser(const std::string& username) {
    int64_t id = 0;
    Status s = store_->Write([&](store::Tx& tx) {
      auto row = tx.QueryOne(
          "INSERT INTO users(username, name, role, password_hash, created_at) "
          "VALUES (?,?,'responder','',?) RETURNING id",
          {username, "Name of " + username, clock_.Now()});
      if (!row.ok()) return row.status();
      id = (*row)->Int(0);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return id;
  }
  ContactMethod MustAddMethod(int64_t user, const std::string& kind, const std::string& address) {
    auto r = InWrite([&](store::Tx& tx) {
      return people_.AddContactMethod(tx, user, kind, address, "", admin_);
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ContactMethod{};
  }
  NotificationRule MustAddRule(int64_t user, int64_t method, int delay) {
    auto r =
        InWrite([&](store::Tx& tx) { return people_.AddRule(tx, user, method, delay, admin_); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : NotificationRule{};
  }
  // A weekly rotation of `users` (usernames) handing off Mondays 09:00 UTC from
  // 2026-11-23, so users[0] is on call at kStart and users[1] from 2026-11-30T09:00Z.
  static nlohmann::json WeeklySchedule(const std::string& name,
                                       const std::vector<std::string>& users) {
    return {{"name", name},
            {"time_zone", "UTC"},
            {"layers",
             {{{"name", "primary"},
               {"users", users},
               {"rotation", {{"unit", "weeks"}, {"length", 1}}},
               {"start_date", "2026-11-23"},
               {"handoff_time", "09:00"}}}}};
  }
  StoredSchedule MustCreateSchedule(const nlohmann::json& body) {
    auto r = InWrite([&](store::Tx& tx) { return catalog_.CreateSchedule(tx, body, admin_); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : StoredSchedule{};
  }
  Policy MustCreatePolicy(const nlohmann::json& body) {
    auto r = InWrite([&](store::Tx& tx) { return catalog_.CreatePolicy(tx, body, admin_); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Policy{};
  }
  incidents::Service MustCreateService(const std::string& name,
                                       std::optional<int64_t> policy = std::nullopt) {
    auto r = InWrite([&](store::Tx& tx) -> Result<incidents::Service> {
      KLAXON_ASSIGN_OR_RETURN(
          incidents::Service svc,
          incidents_.CreateService(tx, {0, name, "", "team", 0, std::nullopt}, admin_));
      if (policy) KLAXON_RETURN_IF_ERROR(catalog_.SetServicePolicy(tx, svc.id, policy));
      return svc;
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : incidents::Service{};
  }
  incidents::Incident MustDeclare(const std::string& title,
                                  std::optional<std::string> service = std::nullopt) {
    auto r = InWrite([&](store::Tx& tx) {
      return incidents_.Declare(tx, {title, "", service, "", "", ""}, admin_);
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : incidents::Incident{};
  }

  // --- Looking at the store ------------------------------------------------------------

  std::vector<OutboxRow> Outbox(std::optional<std::string> kind = std::nullopt) {
    std::vector<OutboxRow> out;
    Status s = store_->Read([&](store::Tx& tx) {
      auto rows = tx.Query(
          "SELECT id, idem_key, kind, incident_id, user_id, contact_method_id, channel, address, "
          "message, status, due_at, next_attempt_at, last_error FROM outbox ORDER BY id");
      if (!rows.ok()) return rows.status();
      for (const auto& r : *rows) {
        OutboxRow o{r.Int(0),    r.Str(1),  r.Str(2),
                    r.OptInt(3), r.Int(4),  r.Int(5),
                    r.Str(6),    r.Str(7),  nlohmann::json::parse(r.Str(8), nullptr, false),
                    r.Str(9),    r.Int(10), r.Int(11),
                    r.Str(12)};
        if (!kind || o.kind == *kind) out.push_back(std::move(o));
      }
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  // The outbox rows' user ids, in order (a compact way to check who was paged).
  std::vector<int64_t> PagedUsers(std::optional<int64_t> incident = std::nullopt) {
    std::vector<int64_t> out;
    for (const auto& o : Outbox("page"))
      if (!incident || o.incident_id == incident) out.push_back(o.user_id);
    return out;
  }
  std::vector<events::Event> Events(std::optional<int64_t> incident = std::nullopt,
                                    std::optional<std::string> kind = std::nullopt) {
    std::vector<events::Event> out;
    auto r = InRead([&](store::Tx& tx) { return log_.List(tx, 0, incident, 100000); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return out;
    for (auto& e : *r)
      if (!kind || e.kind == *kind) out.push_back(std::move(e));
    return out;
  }
  std::optional<EscalationRow> Escalation(int64_t incident) {
    std::optional<EscalationRow> out;
    Status s = store_->Read([&](store::Tx& tx) {
      auto row = tx.QueryOne(
          "SELECT policy_id, state, step, repeat, fired FROM escalations WHERE incident_id = ?",
          {incident});
      if (!row.ok()) return row.status();
      if (*row) {
        const auto& r = **row;
        out = EscalationRow{r.Int(0), r.Str(1), r.Int(2), r.Int(3), r.Int(4)};
      }
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  std::optional<TimeMs> TimerDue(const std::string& kind, int64_t subject) {
    std::optional<TimeMs> out;
    Status s = store_->Read([&](store::Tx& tx) {
      auto row =
          tx.QueryOne("SELECT due_at FROM timers WHERE kind = ? AND subject = ?", {kind, subject});
      if (!row.ok()) return row.status();
      if (*row) out = (*row)->Int(0);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  // What a dispatcher would do: mark every pending row due by now as sent.
  void DeliverDue() {
    Status s = store_->Write([&](store::Tx& tx) {
      return tx.Exec(
          "UPDATE outbox SET status = 'sent', sent_at = ? WHERE status = 'pending' AND "
          "next_attempt_at <= ?",
          {clock_.Now(), clock_.Now()});
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{kStart};
  events::EventBus bus_;
  events::EventLog log_{clock_, bus_};
  incidents::IncidentService incidents_{clock_, log_};
  People people_{clock_, log_};
  Catalog catalog_{clock_, log_, people_};
  std::unique_ptr<engine::Timers> timers_;
  std::unique_ptr<Pager> pager_;
  events::Actor admin_{"user", 1, "admin"};
};

}  // namespace klaxon::paging::test
