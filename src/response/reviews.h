// Post-incident reviews: created when an incident whose level requires one is resolved
// (on `incident.review_due`, due by the level's deadline), or by hand for any incident.
//
// A review belongs to one incident. Its document is Markdown rendered from a template (the
// playbook's `postmortem` template for the level, else a built-in one) over the incident's
// facts — summary, severity, service, impact, the key moments with the durations between
// them, the timeline (notes, findings, decisions, actions run, pages sent, updates and
// status page posts), the alerts and the roles — and the sections the team writes: root
// cause, contributing factors, what went well, what went wrong, where we got lucky,
// lessons. The facts are read live until the review is published; publishing freezes the
// document.
//
// States: draft → (submit) in_review → (every reviewer approved; publish) published;
// in_review → (request changes, by a reviewer or the owner) draft clears the approvals. In
// review, the text, the public text and the reviewers are frozen (what was approved is what
// is published); the owner and the deadline may still change. Edits carry the version they
// were made against (a stale one is 409) and each is kept as a revision
// (`review.edited`). The public text is separate from the internal document; the API
// attaches it to the public status-page incident as its postmortem when asked.
//
// Reminders: the owner (the commander by default, else whoever acknowledged) is reminded
// before the deadline (a day before, or half-way for shorter deadlines) and when it has
// passed, then weekly until published (`review.reminder_sent`; one durable timer "review"
// per incident).
//
// Thread-safe; holds references only.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "engine/timers.h"
#include "events/event.h"
#include "incidents/incident_service.h"
#include "paging/people.h"
#include "response/response.h"
#include "store/store.h"

namespace klaxon::response {

// The sections the team writes, in document order.
inline constexpr const char* kReviewSections[] = {
    "root_cause", "contributing_factors", "went_well", "went_wrong", "lucky", "lessons"};

struct ReviewPatch {
  int64_t version = 0;                     // the version the edit was made against
  std::optional<nlohmann::json> sections;  // {section: text}, only the named ones change
  std::optional<std::string> owner;        // username; "" for nobody
  std::optional<std::vector<std::string>> reviewers;
  std::optional<std::string> public_text;
  std::optional<TimeMs> due_at;
};

class Reviews {
 public:
  Reviews(const Clock& clock, events::EventLog& log, engine::Timers& timers, Response& response,
          paging::People& people, incidents::IncidentService& incidents);

  // The tx hook (creates the review on `incident.review_due`) and the reminder timer.
  void Install();

  // Creates the incident's review (Conflict when it has one). `template_name`: one of the
  // playbook's postmortem templates (default: the level's, else the built-in one).
  Result<nlohmann::json> Create(store::Tx& tx, int64_t incident_id,
                                const std::string& template_name, std::optional<TimeMs> due_at,
                                const events::Actor& actor);
  // The review with its rendered document ("markdown", and "html" rendered safely).
  Result<nlohmann::json> Get(store::Tx& tx, int64_t incident_id);
  // The document alone (Markdown).
  Result<std::string> Markdown(store::Tx& tx, int64_t incident_id);
  // Filters: state ("" any), owner username ("" any), overdue only.
  Result<nlohmann::json> List(store::Tx& tx, const std::string& state, const std::string& owner,
                              bool overdue);
  Result<nlohmann::json> Update(store::Tx& tx, int64_t incident_id, const ReviewPatch& patch,
                                const events::Actor& actor);
  Result<nlohmann::json> Submit(store::Tx& tx, int64_t incident_id, const events::Actor& actor);
  // `actor` must be one of the reviewers (PermissionDenied otherwise).
  Result<nlohmann::json> Approve(store::Tx& tx, int64_t incident_id, const std::string& comment,
                                 const events::Actor& actor);
  Result<nlohmann::json> RequestChanges(store::Tx& tx, int64_t incident_id,
                                        const std::string& comment, const events::Actor& actor);
  // In review, with at least one reviewer and every reviewer's approval.
  Result<nlohmann::json> Publish(store::Tx& tx, int64_t incident_id, const events::Actor& actor);
  Result<nlohmann::json> Revisions(store::Tx& tx, int64_t incident_id);

  // The facts the template sees (public for tests and the composer).
  Result<nlohmann::json> Facts(store::Tx& tx, const incidents::Incident& inc);

 private:
  struct Row;
  Result<std::optional<Row>> Load(store::Tx& tx, int64_t incident_id);
  Result<Row> MustLoad(store::Tx& tx, int64_t incident_id);
  Status Save(store::Tx& tx, const Row& r);
  Result<std::string> Render(store::Tx& tx, const Row& r, const incidents::Incident& inc);
  Result<nlohmann::json> ToJson(store::Tx& tx, const Row& r, bool full);
  Status Emit(store::Tx& tx, const char* kind, const Row& r, const events::Actor& actor,
              nlohmann::json data = nlohmann::json::object());
  Status Arm(store::Tx& tx, const Row& r);
  Status OnTimer(store::Tx& tx, int64_t incident_id);
  Status OnEvent(store::Tx& tx, const events::Event& e);

  const Clock& clock_;
  events::EventLog& log_;
  engine::Timers& timers_;
  Response& response_;
  paging::People& people_;
  incidents::IncidentService& incidents_;
};

}  // namespace klaxon::response
