// `klaxon apply` and `klaxon export` on the server: makes the organization match a
// validated playbook::Document, and reads the organization back as one.
//
// Apply computes current = ToJson(Export(tx)), desired = ToJson(doc), Diff(current,
// desired, prune), and runs each change through the existing domain services in the
// caller's transaction (one store Write: any error rolls everything back). Creates and
// updates go in playbook::Kinds() order, deletes in reverse order. One `config.applied`
// event records the counts per kind. Nothing is written on dry_run or when there are no
// changes (except the list of usernames the files named, kNamedUsersKey).
//
// What maps to server objects (entities matched by name; users by username):
//   users                users, profile (name, time zone), role, contact methods and
//                        notification rules (paging::People, auth::AuthService). New users
//                        get no usable password: an admin sets one (`klaxon admin
//                        reset-password`). delete = deactivate
//   services             the service catalog (description, owner, escalation policy);
//                        delete = archive
//   schedules            paging::Catalog schedules (description, time zone, layers)
//   escalation_policies  paging::Catalog policies
//   integrations         alerts::AlertService; delete = revoke; the kind cannot change;
//                        re-adding a revoked one's name renames the revoked row
//                        ("grafana (revoked #3)") and makes a new key
//   status_components    status::StatusService components
// Everything else (organization, severities, teams, roles, runbooks, actions,
// automation_rules, classification_rules, templates) has no server model yet: its
// canonical JSON is kept in the `settings` row `playbook`, so export returns it unchanged.
// That row also holds the canonical JSON of the mapped kinds as last applied; export
// starts from the server's objects and uses the stored form only for what the server
// does not hold, or holds in another shape:
//   - schedule `overrides` are kept in the row only (not yet applied to the schedule);
//   - integration `mapping` is the row's when it has one; a `group_by` equal to the
//     kind's default is exported as written ([] or the default list);
//   - contact method labels left empty (the server names them after the kind) and the
//     order of status component `services` are kept as written when they still match.
// Prune keeps history: a user is deactivated (sessions ended, tokens revoked, no login),
// and only one an earlier apply named and that no schedule or policy still names; a
// service is archived, and only once no open incident, integration or status component
// uses it. Naming either again brings it back. Secrets (integration keys, contact method
// signing secrets, passwords) are never exported.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "alerts/alert_service.h"
#include "auth/auth.h"
#include "core/clock.h"
#include "events/event.h"
#include "incidents/incident_service.h"
#include "paging/catalog.h"
#include "paging/people.h"
#include "playbook/playbook.h"
#include "status/service.h"
#include "store/store.h"

namespace klaxon::apply {

struct Deps {
  events::EventLog& log;
  auth::AuthService& auth;
  incidents::IncidentService& incidents;
  paging::People& people;
  paging::Catalog& catalog;
  alerts::AlertService& alerts;
  status::StatusService& status;
};

// The settings row holding the canonical JSON of the playbook as last applied.
inline constexpr const char* kSettingKey = "playbook";
// The settings row listing the usernames the files have named (see Prunable).
inline constexpr const char* kNamedUsersKey = "playbook_users";

struct KindCounts {
  int created = 0;
  int updated = 0;
  int deleted = 0;
};

struct ApplyResult {
  std::vector<playbook::Change> changes;  // every entity of the files, plus deletes
  std::string diff;                       // playbook::FormatDiff(changes)
  bool applied = false;                   // something was written
  std::map<std::string, KindCounts> counts;
};

Result<ApplyResult> Apply(store::Tx& tx, Deps& d, const playbook::Document& desired, bool prune,
                          bool dry_run, const events::Actor& actor);

// The organization as canonical JSON (unvalidated) and as a Document (validated).
Result<nlohmann::json> ExportJson(store::Tx& tx, Deps& d);
Result<playbook::Document> Export(store::Tx& tx, Deps& d);

// The API shape of a change: {"type": "create"|"update"|"delete"|"unchanged", "kind",
// "name", "fields": [{"path","old","new"}]}.
nlohmann::json ChangeToJson(const playbook::Change& c);

// Pure helpers (exposed for tests).
// Whether a delete from Diff is kept: prune deactivates only users the files once named
// (`named_users`; accounts made by hand, like the first admin, are never pruned). Other
// deletes are kept.
bool Prunable(const playbook::Change& c, const std::set<std::string>& named_users);
// The settings row after applying `changes`: `current` with `desired`'s entities
// (replacing those of the same identity, appended otherwise) and without the deleted ones.
nlohmann::json MergeStored(const nlohmann::json& current, const nlohmann::json& desired,
                           const std::vector<playbook::Change>& changes);
// Counts of created/updated/deleted per kind (kinds with none left out).
std::map<std::string, KindCounts> CountChanges(const std::vector<playbook::Change>& changes);

}  // namespace klaxon::apply
