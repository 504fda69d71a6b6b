// Handlers for drills (drills/drills.h): scenarios, runs and their reports.
#include "api/api.h"
#include "core/numbers.h"
#include "core/time_format.h"

namespace klaxon::api {

using nlohmann::json;

namespace {

std::optional<int64_t> RunId(const std::string& s) { return ParseInt64(s, 1); }

}  // namespace

void Api::ListDrillScenarios(Call& c) {
  ReadJson(c, [this](store::Tx& tx) { return d_.drills.ListScenarios(tx); });
}

void Api::CreateDrillScenario(Call& c) {
  auto body = RawBody(c);
  if (!body) return;
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, body = *body, actor](store::Tx& tx) {
    return d_.drills.CreateScenario(tx, body, actor);
  });
}

void Api::GetDrillScenario(Call& c) {
  std::string key = c.req.params["id"];
  ReadJson(c, [this, key](store::Tx& tx) { return d_.drills.GetScenario(tx, key); });
}

void Api::ReplaceDrillScenario(Call& c) {
  auto body = RawBody(c);
  if (!body) return;
  std::string key = c.req.params["id"];
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, key, body = *body, actor](store::Tx& tx) {
    return d_.drills.ReplaceScenario(tx, key, body, actor);
  });
}

void Api::DeleteDrillScenario(Call& c) {
  std::string key = c.req.params["id"];
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, key, actor](store::Tx& tx) -> Result<json> {
    KLAXON_RETURN_IF_ERROR(d_.drills.DeleteScenario(tx, key, actor));
    return json();
  });
}

void Api::RunDrill(Call& c) {
  auto body = Body(c);
  if (!body) return;
  std::optional<TimeMs> at;
  if (body->contains("at")) {
    at = ParseTime((*body)["at"].get<std::string>());
    if (!at) return Fail(c, InvalidField("/at", "must be an RFC 3339 time"));
  }
  std::string key = c.req.params["id"];
  auto actor = c.principal.actor();
  WriteJson(c, 201,
            [this, key, at, actor](store::Tx& tx) { return d_.drills.Run(tx, key, at, actor); });
}

void Api::ListDrillRuns(Call& c) {
  auto& q = c.req.query;
  drills::RunFilter f;
  if (q.count("scenario") && !q["scenario"].empty()) f.scenario = q["scenario"];
  if (q.count("status") && !q["status"].empty()) {
    static const std::set<std::string> kStatuses = {"scheduled", "running", "finished", "cancelled",
                                                    "failed"};
    if (!kStatuses.count(q["status"]))
      return Fail(
          c, InvalidField("status", "must be scheduled, running, finished, cancelled or failed"));
    f.status = q["status"];
  }
  if (q.count("limit")) {
    auto n = ParseInt64(q["limit"], 1);
    if (!n || *n > 200) return Fail(c, InvalidField("limit", "must be 1-200"));
    f.limit = static_cast<int>(*n);
  }
  ReadJson(c, [this, f](store::Tx& tx) { return d_.drills.ListRuns(tx, f); });
}

void Api::GetDrillRun(Call& c) {
  auto id = RunId(c.req.params["id"]);
  if (!id) return Fail(c, NotFound("no drill run '" + c.req.params["id"] + "'"));
  ReadJson(c, [this, id = *id](store::Tx& tx) { return d_.drills.GetRun(tx, id); });
}

void Api::CancelDrillRun(Call& c) {
  auto id = RunId(c.req.params["id"]);
  if (!id) return Fail(c, NotFound("no drill run '" + c.req.params["id"] + "'"));
  auto actor = c.principal.actor();
  WriteJson(c, 200,
            [this, id = *id, actor](store::Tx& tx) { return d_.drills.Cancel(tx, id, actor); });
}

void Api::GetDrillReport(Call& c) {
  auto id = RunId(c.req.params["id"]);
  if (!id) return Fail(c, NotFound("no drill run '" + c.req.params["id"] + "'"));
  auto& q = c.req.query;
  std::string format = q.count("format") ? q["format"] : "json";
  if (format != "json" && format != "markdown")
    return Fail(c, InvalidField("format", "must be json or markdown"));
  if (format == "json")
    return ReadJson(c, [this, id = *id](store::Tx& tx) { return d_.drills.Report(tx, id); });
  std::optional<json> report;
  Status s = d_.store.Read([&](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(json r, d_.drills.Report(tx, *id));
    report = std::move(r);
    return Status::Ok();
  });
  if (!s.ok()) return Fail(c, s);
  c.reply(
      http::Response::Text(200, drills::ReportMarkdown(*report), "text/markdown; charset=utf-8"));
}

}  // namespace klaxon::api
