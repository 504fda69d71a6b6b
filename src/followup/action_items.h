// Action items: the follow-up work an incident or its review asks for, with an owner, a
// priority, a due date, a status and a link to the team's own tracker.
//
// Every item belongs to one incident (`source` says whether it was written on the
// incident or in its review). Statuses: open, in_progress, done, wont_do; done and
// wont_do close the item (closed_at), and an item can be opened again. Priorities:
// urgent, high, medium (the default), low. An item is overdue when it is open or in
// progress and its due time has passed.
//
// Edits carry the version they were made against (a stale one is 409, like reviews).
// Every change is one event — `action_item.created`, `action_item.updated` (with the
// fields that changed, old and new) — carrying the whole item, so a webhook subscriber
// (followup::Webhooks) can mirror items into its tracker.
//
// Reminders to the owner (one durable engine timer "action_item" per item): a day before
// the due time (half-way for items due sooner), the day after it when the item is still
// not closed, then weekly (`action_item.reminder_sent`, and a notice through the owner's
// first contact methods). Changing the due time starts the reminders again from it; a
// reminder whose time passed while the item had no owner is not sent late.
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

namespace klaxon::followup {

inline constexpr const char* kActionStatuses[] = {"open", "in_progress", "done", "wont_do"};
inline constexpr const char* kActionPriorities[] = {"urgent", "high", "medium", "low"};

struct NewActionItem {
  std::string title;
  std::string description;
  std::string owner;  // username; "" for nobody
  std::string priority = "medium";
  std::optional<TimeMs> due_at;
  std::string tracker_url;          // "" or an http(s) URL
  std::string source = "incident";  // "incident" or "review"
};

struct ActionItemPatch {
  int64_t version = 0;  // the version the edit was made against
  std::optional<std::string> title, description, owner, priority, status, tracker_url;
  std::optional<std::optional<TimeMs>> due_at;  // a value with nullopt clears it
};

struct ActionItemFilter {
  std::optional<int64_t> owner_id;
  std::optional<int64_t> incident_id;
  std::string service;            // service name; "" any
  std::string status = "active";  // "active" (open or in progress), "all", or one status
  bool overdue = false;           // only overdue ones
  int limit = 500;
};

// When the next reminder is due, the `reminded`-th (0: the one before the due time; 1: the
// day after it; then weekly). nullopt without a due time.
std::optional<TimeMs> NextActionReminder(TimeMs created_at, std::optional<TimeMs> due,
                                         int64_t reminded);

class ActionItems {
 public:
  static constexpr const char* kTimer = "action_item";

  ActionItems(const Clock& clock, events::EventLog& log, engine::Timers& timers,
              response::Response& response, paging::People& people,
              incidents::IncidentService& incidents);

  // The reminder timer.
  void Install();

  Result<nlohmann::json> Create(store::Tx& tx, int64_t incident_id, const NewActionItem& item,
                                const events::Actor& actor);
  Result<nlohmann::json> Get(store::Tx& tx, int64_t id);
  // {"items": [...], "total": n}: overdue first, then by due time (none last), then id.
  Result<nlohmann::json> List(store::Tx& tx, const ActionItemFilter& filter);
  Result<nlohmann::json> Update(store::Tx& tx, int64_t id, const ActionItemPatch& patch,
                                const events::Actor& actor);

 private:
  struct Row;
  Result<std::optional<Row>> Load(store::Tx& tx, int64_t id);
  Status Save(store::Tx& tx, const Row& r);
  Result<nlohmann::json> ToJson(store::Tx& tx, const Row& r);
  Status Arm(store::Tx& tx, const Row& r);
  Status OnTimer(store::Tx& tx, int64_t id);
  Result<std::optional<int64_t>> OwnerId(store::Tx& tx, const std::string& username);

  const Clock& clock_;
  events::EventLog& log_;
  engine::Timers& timers_;
  response::Response& response_;
  paging::People& people_;
  incidents::IncidentService& incidents_;
};

}  // namespace klaxon::followup
