// Handlers for post-incident reviews (response/reviews.h).
#include "api/api.h"
#include "core/time_format.h"

namespace klaxon::api {

using nlohmann::json;

void Api::ListReviews(Call& c) {
  auto q = c.req.query;
  std::string state = q.count("state") ? q["state"] : "";
  if (!state.empty() && state != "draft" && state != "in_review" && state != "published")
    return Fail(c, InvalidField("state", "must be draft, in_review or published"));
  std::string owner = q.count("owner") ? q["owner"] : "";
  if (owner == "me") owner = c.principal.user.username;
  bool overdue = q.count("overdue") && q["overdue"] == "true";
  ReadJson(c, [this, state, owner, overdue](store::Tx& tx) {
    return d_.reviews.List(tx, state, owner, overdue);
  });
}

void Api::CreateReview(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  std::string tmpl = body->value("template", "");
  std::optional<TimeMs> due;
  if (body->contains("due_at")) {
    due = ParseTime((*body)["due_at"].get<std::string>());
    if (!due) return Fail(c, InvalidField("/due_at", "must be an RFC 3339 time"));
  }
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, id = *id, tmpl, due, actor](store::Tx& tx) {
    return d_.reviews.Create(tx, id, tmpl, due, actor);
  });
}

void Api::GetReview(Call& c) {
  auto id = IncidentId(c);
  if (!id) return;
  ReadJson(c, [this, id = *id](store::Tx& tx) { return d_.reviews.Get(tx, id); });
}

void Api::GetReviewMarkdown(Call& c) {
  auto id = IncidentId(c);
  if (!id) return;
  std::string md;
  Status s = d_.store.Read([&](store::Tx& tx) -> Status {
    auto r = d_.reviews.Markdown(tx, *id);
    if (!r.ok()) return r.status();
    md = std::move(r).value();
    return Status::Ok();
  });
  if (!s.ok()) return Fail(c, s);
  c.reply(http::Response::Text(200, std::move(md), "text/markdown; charset=utf-8"));
}

void Api::UpdateReview(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  response::ReviewPatch p;
  p.version = (*body)["version"].get<int64_t>();
  if (body->contains("sections")) p.sections = (*body)["sections"];
  if (body->contains("owner")) p.owner = (*body)["owner"].get<std::string>();
  if (body->contains("reviewers"))
    p.reviewers = (*body)["reviewers"].get<std::vector<std::string>>();
  if (body->contains("public_text")) p.public_text = (*body)["public_text"].get<std::string>();
  if (body->contains("due_at")) {
    p.due_at = ParseTime((*body)["due_at"].get<std::string>());
    if (!p.due_at) return Fail(c, InvalidField("/due_at", "must be an RFC 3339 time"));
  }
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, p, actor](store::Tx& tx) {
    return d_.reviews.Update(tx, id, p, actor);
  });
}

// POST .../review/{submit|approve|request-changes|publish}
void Api::ReviewTransition(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  std::string step = c.req.params["step"];
  std::string comment = body->value("comment", "");
  bool status_page = body->value("status_page", false);
  auto actor = c.principal.actor();
  WriteJson(
      c, 200, [this, id = *id, step, comment, status_page, actor](store::Tx& tx) -> Result<json> {
        if (step == "submit") return d_.reviews.Submit(tx, id, actor);
        if (step == "approve") return d_.reviews.Approve(tx, id, comment, actor);
        if (step == "request-changes") return d_.reviews.RequestChanges(tx, id, comment, actor);
        if (step != "publish") return NotFound("no such review step");
        KLAXON_ASSIGN_OR_RETURN(json out, d_.reviews.Publish(tx, id, actor));
        if (!status_page) return out;
        // The public text becomes the postmortem of the public incident published from this one.
        std::string text = out.value("public_text", "");
        if (text.empty())
          return InvalidField("/status_page", "write the review's public text first");
        auto row = tx.QueryOne(
            "SELECT public_id FROM status_incidents WHERE incident_id = ? AND kind = 'incident' "
            "ORDER BY id DESC LIMIT 1",
            {id});
        if (!row.ok()) return row.status();
        if (!*row)
          return InvalidField("/status_page", "this incident was never on the public status page");
        auto published = d_.status_page.AddUpdate(tx, (*row)->Str(0),
                                                  {{"status", "postmortem"},
                                                   {"body", "We have published a postmortem."},
                                                   {"postmortem", text}},
                                                  actor);
        if (!published.ok()) return published.status();
        out["status_page"] = {{"id", published->public_id}, {"status", published->status}};
        return out;
      });
}

void Api::ListReviewRevisions(Call& c) {
  auto id = IncidentId(c);
  if (!id) return;
  ReadJson(c, [this, id = *id](store::Tx& tx) { return d_.reviews.Revisions(tx, id); });
}

}  // namespace klaxon::api
