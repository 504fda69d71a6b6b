// Playbook as configuration: POST /api/v1/apply and GET /api/v1/export (admin).
//
// Apply loads the posted YAML files with playbook::LoadSources; any problem is a 422 whose
// errors name file:line:key. Otherwise apply::Apply runs in one write transaction (a dry
// run in a read transaction), so nothing is stored when any change fails.
#include "api/api.h"
#include "apply/apply.h"
#include "playbook/playbook.h"

namespace klaxon::api {

using nlohmann::json;

namespace {

apply::Deps ApplyDeps(const ApiDeps& d) {
  return {d.log, d.auth, d.incidents, d.people, d.catalog, d.alerts, d.status_page};
}

json ResultJson(const apply::ApplyResult& r) {
  json changes = json::array();
  for (const auto& c : r.changes) changes.push_back(apply::ChangeToJson(c));
  return {{"changes", changes}, {"diff", r.diff}, {"applied", r.applied}};
}

}  // namespace

void Api::ApplyPlaybook(Call& c) {
  auto body = Body(c);
  if (!body) return;
  std::vector<playbook::Source> sources;
  for (const json& f : (*body)["files"])
    sources.push_back({f["name"].get<std::string>(), f["text"].get<std::string>()});
  playbook::LoadResult loaded = playbook::LoadSources(sources);
  if (!loaded.ok()) return Fail(c, loaded.status());
  bool prune = body->value("prune", false);
  bool dry_run = body->value("dry_run", false);
  auto actor = c.principal.actor();
  auto doc = std::make_shared<playbook::Document>(std::move(loaded.doc));
  auto run = [this, doc, prune, dry_run, actor](store::Tx& tx) -> Result<json> {
    apply::Deps deps = ApplyDeps(d_);
    KLAXON_ASSIGN_OR_RETURN(apply::ApplyResult r,
                            apply::Apply(tx, deps, *doc, prune, dry_run, actor));
    return ResultJson(r);
  };
  if (dry_run) return ReadJson(c, run);
  WriteJson(c, 200, run);
}

void Api::ExportPlaybook(Call& c) {
  std::string format = c.req.query.count("format") ? c.req.query["format"] : "yaml";
  if (format != "yaml" && format != "json")
    return Fail(c, InvalidField("format", "must be yaml or json"));
  ReadJson(c, [this, format](store::Tx& tx) -> Result<json> {
    apply::Deps deps = ApplyDeps(d_);
    KLAXON_ASSIGN_OR_RETURN(playbook::Document doc, apply::Export(tx, deps));
    if (format == "json") return playbook::ToJson(doc);
    return json{{"yaml", playbook::ToYaml(doc)}};
  });
}

}  // namespace klaxon::api
