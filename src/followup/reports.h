// Response analytics computed from the store (the facts loader and analytics::Compute, with
// the organization's severity ranks, recovery-time objectives and time zone), and the
// review mailed to a list on a schedule.
//
// The schedule (one per organization, the settings row "report_schedule"):
//   {"recipients": ["leads@example.com", ...], "every": "quarter" | "month", "hour": 9}
// On the first day of each quarter (or month) at `hour` o'clock in the organization's time
// zone, the review of the period that just ended — compared with the one before, the same
// document as GET /api/v1/reports/quarterly — is mailed to each recipient: the printable
// HTML as the mail's HTML part, the Markdown as its text part. One durable engine timer
// ("report_mail") holds the next time; each mail goes through the notification outbox
// (retried, once per period and address: idempotency key report:<period>:<address>), and
// `report.mailed` records it. A period whose time passed while the server was down is sent
// when it comes back, once.
//
// Thread-safe; holds references only.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analytics/analytics.h"
#include "core/clock.h"
#include "engine/timers.h"
#include "events/event.h"
#include "incidents/incident_service.h"
#include "paging/pager.h"
#include "response/response.h"
#include "store/store.h"

namespace klaxon::followup {

struct ReportSchedule {
  std::vector<std::string> recipients;
  std::string every = "quarter";  // or "month"
  int hour = 9;                   // local hour of the first day

  nlohmann::json ToJson() const;
};

// Checks a schedule's JSON; 422 naming each wrong field.
Result<ReportSchedule> ParseReportSchedule(const nlohmann::json& body);

class Reports {
 public:
  Reports(const Clock& clock, events::EventLog& log, engine::Timers& timers,
          incidents::IncidentService& incidents, response::Response& response, paging::Pager& pager)
      : clock_(clock),
        log_(log),
        timers_(timers),
        incidents_(incidents),
        response_(response),
        pager_(pager) {}

  // The "report_mail" timer handler. Call once, before the engine starts.
  void Install();

  // The playbook's organization time zone, else UTC.
  std::string OrganizationZone() const;
  // Loads the facts spanning every query once and computes a report for each.
  Result<std::vector<analytics::Report>> Compute(store::Tx& tx,
                                                 const std::vector<analytics::Query>& queries);

  // The schedule with its next run ({"schedule": null} when none).
  Result<nlohmann::json> GetSchedule(store::Tx& tx);
  Result<nlohmann::json> SetSchedule(store::Tx& tx, const nlohmann::json& body,
                                     const events::Actor& actor);
  Status DeleteSchedule(store::Tx& tx, const events::Actor& actor);
  // Mails the review of the last complete period now (to check the list); the schedule
  // is not moved. NotFound without a schedule.
  Result<nlohmann::json> SendNow(store::Tx& tx, const events::Actor& actor);

 private:
  Result<std::optional<ReportSchedule>> LoadSchedule(store::Tx& tx);
  // The next first-of-period at the schedule's hour after `now`.
  TimeMs NextRun(const ReportSchedule& s, TimeMs now) const;
  // Queues the review of the period before the one holding `at` to every recipient.
  Result<nlohmann::json> Mail(store::Tx& tx, const ReportSchedule& s, TimeMs at,
                              const events::Actor& actor, const std::string& key_suffix);
  Status OnTimer(store::Tx& tx, TimeMs due);

  const Clock& clock_;
  events::EventLog& log_;
  engine::Timers& timers_;
  incidents::IncidentService& incidents_;
  response::Response& response_;
  paging::Pager& pager_;
};

}  // namespace klaxon::followup
