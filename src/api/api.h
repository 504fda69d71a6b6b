// The HTTP API: the route table (the one list of routes, their roles and schemas, from
// which the OpenAPI document is generated), authentication and role checks, and the
// handlers, which stay thin: parse → call the domain → render.
//
// Built once by app/ with references to everything it uses; those must outlive it.
// Handle() is thread-safe and is the http::Server's handler.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert_service.h"
#include "alerts/heartbeats.h"
#include "analytics/analytics.h"
#include "auth/auth.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/work_queue.h"
#include "drills/drills.h"
#include "engine/timers.h"
#include "events/event.h"
#include "followup/action_items.h"
#include "followup/reports.h"
#include "followup/webhooks.h"
#include "http/message.h"
#include "http/router.h"
#include "incidents/incident_service.h"
#include "intake/recorder.h"
#include "paging/catalog.h"
#include "paging/dispatcher.h"
#include "paging/pager.h"
#include "paging/people.h"
#include "response/response.h"
#include "response/reviews.h"
#include "status/service.h"
#include "status/subscriptions.h"
#include "store/store.h"

namespace klaxon::api {

class EventStreams;

struct ApiDeps {
  store::Store& store;
  const Clock& clock;
  ManualClock* manual_clock;  // null unless --clock manual
  events::EventBus& bus;
  events::EventLog& log;
  auth::AuthService& auth;
  incidents::IncidentService& incidents;
  alerts::AlertService& alerts;
  alerts::SuppressionStore& suppression;
  alerts::Deadlines& deadlines;
  paging::People& people;
  paging::Catalog& catalog;
  paging::Pager& pager;
  engine::Timers& timers;
  paging::Dispatcher& dispatcher;
  intake::Recorder& intake_log;
  status::StatusService& status_page;
  status::Subscriptions& subscriptions;
  response::Response& response;
  response::Reviews& reviews;
  followup::ActionItems& action_items;
  followup::Webhooks& webhooks;
  drills::Drills& drills;
  followup::Reports& reports;
  Metrics& metrics;
  std::string public_url;
  bool secure_cookies = false;
  int session_ttl_hours = 12;
};

// One call in flight: the request, who made it, and how to answer.
struct Call {
  http::Request& req;
  auth::Principal principal;
  http::Reply reply;
  const nlohmann::json* request_schema = nullptr;  // the matched route's
};

class Api {
 public:
  static constexpr int kMaxLoginFailures = 10;          // per client address ...
  static constexpr TimeMs kLoginWindowMs = 5 * 60'000;  // ... within this window

  explicit Api(ApiDeps deps);
  ~Api();

  void Handle(http::Request& req, http::Reply reply);
  // The public listener (--status-listen): the status page and /healthz, nothing else.
  void HandlePublic(http::Request& req, http::Reply reply);
  // The OpenAPI 3 document, generated from the route table.
  nlohmann::json OpenApi() const;
  // Ends live event streams (before the server stops).
  void Shutdown();

  struct Route {
    std::string method;
    std::string path;
    auth::Role role;  // kNone: no credentials needed
    std::string summary;
    std::string tag;
    nlohmann::json request_schema;  // null: no body
    int success_status;
    nlohmann::json response_schema;
    void (Api::*handler)(Call&);
  };
  const std::vector<Route>& routes() const { return routes_; }
  // Runs the handlers still queued and stops the pools, after the HTTP server has stopped
  // (their replies hold sessions, which need the server) and before the store stops.
  void StopHandlers();

 private:
  void BuildRoutes();
  void Dispatch(http::Request& req, http::Reply reply, const Route& route);
  // Runs `handler` on the handlers_ pool; 503 with Retry-After when its queue is full.
  void OffThread(http::Request& req, http::Reply reply,
                 std::function<void(http::Request&, http::Reply)> handler);
  void Metrics(http::Reply reply);  // GET /metrics
  void ServeStatic(http::Request& req, http::Reply& reply);

  // Runs `fn` in a write transaction (group commit) and replies `status` with its JSON,
  // or the problem when it fails. Nothing is stored when it fails.
  void WriteJson(Call& c, int status, std::function<Result<nlohmann::json>(store::Tx&)> fn);
  void ReadJson(Call& c, std::function<Result<nlohmann::json>(store::Tx&)> fn);
  // Parses and validates the body against the route's schema; replies the problem when bad.
  std::optional<nlohmann::json> Body(Call& c);
  std::optional<int64_t> IncidentId(Call& c);
  void Fail(Call& c, const Status& s);
  void NoteTokenUse(const auth::Principal& p);

  // Handlers (one per route).
  void Login(Call& c);
  void FinishLogin(Call& c, const std::string& username, const std::string& password,
                   const std::optional<std::string>& token_name, const std::string& client);
  void Logout(Call& c);
  void Me(Call& c);
  void ListTokens(Call& c);
  void CreateToken(Call& c);
  void RevokeToken(Call& c);
  void ListUsers(Call& c);
  void CreateUser(Call& c);
  void ListSeverities(Call& c);
  void ListServices(Call& c);
  void CreateService(Call& c);
  void GetService(Call& c);
  void ListIncidents(Call& c);
  void DeclareIncident(Call& c);
  void GetIncident(Call& c);
  void AcknowledgeIncident(Call& c);
  void ChangeStatus(Call& c);
  void ChangeSeverity(Call& c);
  void AddNote(Call& c);
  void MarkMoment(Call& c);
  void SetWarRoom(Call& c);
  // Post-incident reviews (reviews_api.cc).
  void ListReviews(Call& c);
  void CreateReview(Call& c);
  void GetReview(Call& c);
  void GetReviewMarkdown(Call& c);
  void UpdateReview(Call& c);
  void ReviewTransition(Call& c);
  void ListReviewRevisions(Call& c);
  // Action items, event webhooks, noise marks (followup_api.cc).
  void CreateActionItem(Call& c);
  void ListIncidentActionItems(Call& c);
  void ListActionItems(Call& c);
  void GetActionItem(Call& c);
  void UpdateActionItem(Call& c);
  void ListWebhooks(Call& c);
  void CreateWebhook(Call& c);
  void DeleteWebhook(Call& c);
  void ListDrillScenarios(Call& c);
  void CreateDrillScenario(Call& c);
  void GetDrillScenario(Call& c);
  void ReplaceDrillScenario(Call& c);
  void DeleteDrillScenario(Call& c);
  void RunDrill(Call& c);
  void ListDrillRuns(Call& c);
  void GetDrillRun(Call& c);
  void CancelDrillRun(Call& c);
  void GetDrillReport(Call& c);
  void GetReportSchedule(Call& c);
  void SetReportSchedule(Call& c);
  void DeleteReportSchedule(Call& c);
  void SendReportNow(Call& c);
  void MarkNoise(Call& c);
  // Response analytics and the quarterly report (analytics_api.cc).
  void GetAnalytics(Call& c);
  void GetAnalyticsChart(Call& c);
  void GetQuarterlyReport(Call& c);
  Result<std::vector<analytics::Report>> ComputeReports(
      store::Tx& tx, const std::vector<analytics::Query>& queries);
  std::string OrganizationZone() const;
  void CheckRunbookStep(Call& c);
  void RunAction(Call& c);
  void ComposeUpdate(Call& c);
  void PostUpdate(Call& c);
  void ResolveIncident(Call& c);
  void ReopenIncident(Call& c);
  void ListEvents(Call& c);
  void StreamEvents(Call& c);
  void GetClock(Call& c);
  void AdvanceClock(Call& c);
  void GetOpenApi(Call& c);
  void ListIntegrations(Call& c);
  void CreateIntegration(Call& c);
  void GetIntegration(Call& c);
  void RevokeIntegration(Call& c);
  void UpdateIntegration(Call& c);
  void RotateIntegrationKey(Call& c);
  void IntegrationRequests(Call& c);
  // Wraps `reply` so the request and its answer are kept in the integration's recent log.
  http::Reply Recording(const http::Request& req, int64_t integration_id, http::Reply reply);
  void ListIncidentAlerts(Call& c);
  void ListSilences(Call& c);
  void CreateSilence(Call& c);
  void ExpireSilence(Call& c);
  void ListMaintenance(Call& c);
  void CreateMaintenance(Call& c);
  void CancelMaintenance(Call& c);
  void ListAlerts(Call& c);

  // People, schedules, escalation, notifications (paging_api.cc).
  struct Caller {
    std::string key;  // the {user} path parameter
    int64_t self = 0;
    bool admin = false;
  };
  static Caller CallerOf(Call& c);
  Result<int64_t> UserParam(const Caller& who, store::Tx& tx, bool must_be_self_or_admin);
  Result<nlohmann::json> ServiceJson(store::Tx& tx, const incidents::Service& s);
  void GetUserProfile(Call& c);
  void UpdateUserProfile(Call& c);
  void AddContactMethod(Call& c);
  void RemoveContactMethod(Call& c);
  void TestContactMethod(Call& c);
  void VerifyContactMethod(Call& c);
  void AddNotificationRule(Call& c);
  void RemoveNotificationRule(Call& c);
  void ListSchedules(Call& c);
  void CreateSchedule(Call& c);
  void GetSchedule(Call& c);
  void UpdateSchedule(Call& c);
  void DeleteSchedule(Call& c);
  void ScheduleOnCall(Call& c);
  void ScheduleShifts(Call& c);
  void ListOverrides(Call& c);
  void CreateOverride(Call& c);
  void DeleteOverride(Call& c);
  void CreateSwap(Call& c);
  void OnCallNow(Call& c);
  void ListPolicies(Call& c);
  void CreatePolicy(Call& c);
  void GetPolicy(Call& c);
  void UpdatePolicy(Call& c);
  void DeletePolicy(Call& c);
  void UpdateService(Call& c);
  void GetEscalation(Call& c);
  void EscalateIncident(Call& c);
  void RepageIncident(Call& c);
  void ListRoles(Call& c);
  void AssignRole(Call& c);
  void ListNotifications(Call& c);
  // Signed action links (/a/{token}) and iCalendar feeds (/ical/...): no login.
  bool IsPagingPublicPath(const std::string& path) const;
  void PagingPublic(http::Request& req, http::Reply reply);
  void IcalFeed(http::Request& req, http::Reply reply);

  // The public status page (/status…, /api/v2/*.json): no login, rendered once per change.
  bool IsStatusPublicPath(const std::string& path) const;
  void StatusPublic(http::Request& req, http::Reply reply);
  std::optional<nlohmann::json> RawBody(Call& c);
  // Subscriptions (status_subscribe_api.cc): public pages and the admin API.
  bool IsSubscriptionPath(const std::string& path) const;
  void StatusSubscriptions(http::Request& req, http::Reply reply);
  bool SubscribeAllowed(const std::string& client, TimeMs now, int64_t* retry_after_s);
  void ListStatusSubscribers(Call& c);
  void AddStatusSubscriber(Call& c);
  void RemoveStatusSubscriber(Call& c);
  std::mutex subscribe_mu_;
  std::map<std::string, std::deque<TimeMs>> subscribe_hits_;
  void GetStatusPage(Call& c);
  void UpdateStatusPage(Call& c);
  void ListStatusComponents(Call& c);
  void CreateStatusComponent(Call& c);
  void UpdateStatusComponent(Call& c);
  void DeleteStatusComponent(Call& c);
  void ListStatusIncidents(Call& c);
  void GetStatusIncident(Call& c);
  void CreateStatusIncident(Call& c);
  void ScheduleStatusMaintenance(Call& c);
  void AddStatusUpdate(Call& c);
  struct CachedPage {
    uint64_t generation = 0;
    int64_t day = 0;
    int status = 200;
    std::string content_type;
    std::string body;
    std::string etag;
    std::string last_modified;
  };
  std::mutex status_cache_mu_;
  std::map<std::string, std::shared_ptr<const CachedPage>> status_cache_;

  // Alert intake (outside /api/v1; authenticated by the integration's key).
  bool IsIntakePath(const std::string& path) const;
  void Intake(http::Request& req, http::Reply reply);
  // PagerDuty Events API v2; `url_key` empty when the key is the body's routing_key.
  void IntakePagerDuty(http::Request& req, http::Reply reply, std::string url_key);
  void Heartbeat(http::Request& req, http::Reply reply, std::string key);

  // Failed logins per client address, for the login rate limit (429).
  bool LoginAllowed(const std::string& remote, TimeMs now, int64_t* retry_after_s);
  void NoteLoginFailure(const std::string& remote, TimeMs now);
  std::mutex login_mu_;
  std::map<std::string, std::deque<TimeMs>> login_failures_;

  // --- Playbook as configuration (apply_api.cc): POST /api/v1/apply, GET /api/v1/export.
  void ApplyPlaybook(Call& c);
  void ExportPlaybook(Call& c);
  // --- end playbook as configuration.

  ApiDeps d_;
  WorkQueue hasher_{2, 64};   // password hashing, off the HTTP workers
  WorkQueue settler_{1, 16};  // waits for the engine after a manual clock move
  WorkQueue actions_{2, 16};  // remediation actions (HTTP calls), off the HTTP workers
  std::vector<Route> routes_;
  http::Router router_;
  std::unique_ptr<EventStreams> streams_;
  std::string dummy_hash_;  // verified against for unknown users (equal timing)
  // The console's and the API's requests, and /metrics: run here, not on the HTTP threads,
  // so that a slow one (a quarter's analytics: ~1 s) never holds up alert intake, the
  // status page or the others' I/O. Last: destroyed first, running what is queued while
  // the members its handlers use are still alive.
  WorkQueue handlers_;
};

}  // namespace klaxon::api
