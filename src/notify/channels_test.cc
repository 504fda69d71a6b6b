#include "notify/channels.h"

#include <gtest/gtest.h>

#include "notify/text.h"

namespace klaxon::notify {
namespace {

using Json = nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr TimeMs kNow = 1700000000000;  // 2023-11-14T22:13:20Z

Message Page() {
  Message m;
  m.kind = "page";
  m.incident_ref = "INC-42";
  m.title = "Checkout 5xx above 5%";
  m.severity = "SEV-1";
  m.status = "triggered";
  m.service = "checkout";
  m.summary = "Error rate 7.2% for 5 minutes.";
  m.console_url = "https://klaxon.example/incidents/42";
  m.ack_url = "https://klaxon.example/a/ACK.TOKEN";
  m.resolve_url = "https://klaxon.example/a/RES.TOKEN";
  m.runbook_url = "https://wiki.example/runbooks/checkout?x=1&y=2";
  m.recipient_name = "Alice";
  m.fields = {{"Region", "eu-west-1"}};
  m.at = kNow;
  return m;
}

std::string Header(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

Json Body(const HttpRequest& r) { return Json::parse(r.body); }

HttpRequest Build(ChannelKind kind, const Message& m, const Templates& t = {}) {
  auto r = BuildChatRequest(kind, "https://hooks.example/x", m, t, "msg_1", "", kNow);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : HttpRequest{};
}

// ---- names, message, context -----------------------------------------------------------

TEST(NotifyChannels, NamesRoundTrip) {
  for (auto k : {ChannelKind::kEmail, ChannelKind::kSlack, ChannelKind::kTeams,
                 ChannelKind::kDiscord, ChannelKind::kMattermost, ChannelKind::kWebhook}) {
    EXPECT_EQ(ParseChannel(ChannelName(k)), k);
  }
  EXPECT_EQ(ChannelName(ChannelKind::kMattermost), "mattermost");
  EXPECT_FALSE(ParseChannel("sms").has_value());
  EXPECT_FALSE(ParseChannel("").has_value());
}

TEST(NotifyChannels, MessageJsonRoundTrip) {
  Message m = Page();
  m.fields.push_back({"Pod", "web-7"});
  EXPECT_EQ(Message::FromJson(m.ToJson()), m);
  EXPECT_EQ(Message::FromJson(Json::parse(m.ToJson().dump())), m);
  Message empty;
  EXPECT_EQ(Message::FromJson(empty.ToJson()), empty);
  // Tolerant of junk: never throws, keeps what it can.
  Message junk = Message::FromJson(Json{{"title", 5}, {"fields", "x"}, {"at", "y"}});
  EXPECT_EQ(junk.kind, "page");
  EXPECT_EQ(junk.title, "");
  EXPECT_EQ(Message::FromJson(Json::array()), Message{});
}

TEST(NotifyChannels, ContextHasFlagsAndOnlyHttpLinks) {
  Message m = Page();
  m.runbook_url = "javascript:alert(1)";
  Json c = m.ToContext();
  EXPECT_EQ(c["title"], "Checkout 5xx above 5%");
  EXPECT_EQ(c["is_page"], true);
  EXPECT_EQ(c["is_incident"], true);
  EXPECT_EQ(c["is_test"], false);
  EXPECT_EQ(c["runbook_url"], "");
  EXPECT_EQ(c["fields"][0]["name"], "Region");
  EXPECT_EQ(c["at_iso"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(c["color"], "#D13438");
  Message t;
  t.kind = "test";
  t.ack_url = "https://k.example/a/VERIFY";
  EXPECT_EQ(t.ToContext()["verify_url"], "https://k.example/a/VERIFY");
  EXPECT_EQ(Page().ToContext()["verify_url"], "");
}

// ---- templates -------------------------------------------------------------------------

TEST(NotifyTemplates, EveryKeyHasADefaultThatRenders) {
  Templates t;
  ASSERT_EQ(TemplateKeys().size(), 12u);
  for (const auto& key : TemplateKeys()) {
    EXPECT_FALSE(DefaultTemplate(key).empty()) << key;
    for (const char* kind : {"page", "resolved", "test", "handoff"}) {
      Message m = Page();
      m.kind = kind;
      auto r = t.Render(key, m);
      ASSERT_TRUE(r.ok()) << key << ": " << r.status().ToString();
      EXPECT_FALSE(r.value().empty()) << key << " " << kind;
    }
  }
  EXPECT_EQ(DefaultTemplate("sms.body"), "");
}

TEST(NotifyTemplates, DefaultSubjectAndTitle) {
  Templates t;
  EXPECT_EQ(t.Render("email.subject", Page()).value(),
            "[SEV-1] INC-42 triggered: Checkout 5xx above 5%");
  EXPECT_EQ(t.Render("slack.title", Page()).value(),
            "SEV-1 INC-42 triggered: Checkout 5xx above 5%");
  Message m = Page();
  m.severity = "";
  EXPECT_EQ(t.Render("email.subject", m).value(), "INC-42 triggered: Checkout 5xx above 5%");
  Message test;
  test.kind = "test";
  test.verify_code = "123456";
  EXPECT_EQ(t.Render("email.subject", test).value(), "Klaxon verification code: 123456");
  Message handoff;
  handoff.kind = "handoff";
  handoff.title = "You are now on call for Primary";
  EXPECT_EQ(t.Render("teams.title", handoff).value(), "You are now on call for Primary");
  EXPECT_EQ(t.Render("email.subject", handoff).value(), "You are now on call for Primary");
  handoff.title = "";
  EXPECT_EQ(t.Render("slack.title", handoff).value(), "You are now on call");
}

TEST(NotifyTemplates, OverridesAndErrorsNameTheKey) {
  Templates t;
  t.overrides["slack.body"] = "Hi {{recipient_name}}: {{title}}";
  EXPECT_EQ(t.Render("slack.body", Page()).value(), "Hi Alice: Checkout 5xx above 5%");
  t.overrides["slack.body"] = "{{#title}}unclosed";
  auto r = t.Render("slack.body", Page());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("slack.body"), std::string::npos);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  auto unknown = Templates{}.Render("pager.body", Page());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("pager.body"), std::string::npos);
  // A chat request fails the same way, naming the key.
  auto req = BuildChatRequest(ChannelKind::kSlack, "https://h.example", Page(), t, "m", "", kNow);
  ASSERT_FALSE(req.ok());
  EXPECT_NE(req.status().message().find("slack.body"), std::string::npos);
}

TEST(NotifyTemplates, UserTextIsNeverATemplate) {
  Message m = Page();
  m.title = "{{ack_url}}";
  m.summary = "{{>summary}}";
  Templates t;
  t.overrides["email.text"] = "{{title}} {{>summary}} {{summary}}";
  EXPECT_EQ(t.Render("email.text", m).value(), "{{ack_url}}  {{>summary}}");
}

TEST(NotifyTemplates, EmptyStringsAreFalse) {
  Templates t;
  t.overrides["email.text"] =
      "{{#service}}S={{service}}{{/service}}{{^runbook_url}}no runbook{{/runbook_url}}";
  Message m = Page();
  m.runbook_url = "";
  EXPECT_EQ(t.Render("email.text", m).value(), "S=checkoutno runbook");
  m.service = "";
  EXPECT_EQ(t.Render("email.text", m).value(), "no runbook");
}

TEST(NotifyTemplates, EscapesForEachTarget) {
  Message m = Page();
  m.title = "<!channel> & \"@all\" *x*";
  Templates t;
  const std::string tmpl = "{{title}}|{{{title}}}";
  for (const auto& key : {"slack.body", "mattermost.body", "email.html", "discord.body",
                          "teams.body", "email.text"}) {
    t.overrides[key] = tmpl;
  }
  const std::string raw = "|" + m.title;
  EXPECT_EQ(t.Render("slack.body", m).value(), "&lt;!channel&gt; &amp; \"@all\" *x*" + raw);
  EXPECT_EQ(t.Render("mattermost.body", m).value(),
            "&lt;!channel&gt; &amp; \"@\u200Ball\" *x*" + raw);
  EXPECT_EQ(t.Render("email.html", m).value(), "&lt;!channel&gt; &amp; &quot;@all&quot; *x*" + raw);
  EXPECT_EQ(t.Render("discord.body", m).value(), "\\<!channel\\> & \"@all\" \\*x\\*" + raw);
  EXPECT_EQ(t.Render("teams.body", m).value(), m.title + raw);
  EXPECT_EQ(t.Render("email.text", m).value(), m.title + raw);
}

TEST(NotifyTemplates, Validate) {
  EXPECT_TRUE(ValidateTemplates({}).ok());
  Templates good;
  good.overrides["webhook.body"] = "{{incident_ref}}";
  EXPECT_TRUE(ValidateTemplates(good).ok());
  Templates bad;
  bad.overrides["slack.subject"] = "x";
  Status st = ValidateTemplates(bad);
  ASSERT_FALSE(st.ok());
  ASSERT_EQ(st.fields().size(), 1u);
  EXPECT_EQ(st.fields()[0].field, "/templates/slack.subject");
  Templates broken;
  broken.overrides["email.html"] = "{{/is_page}}";
  EXPECT_FALSE(ValidateTemplates(broken).ok());
  Templates huge;
  huge.overrides["email.html"] = std::string(40000, 'x');
  EXPECT_FALSE(ValidateTemplates(huge).ok());
}

// ---- chat requests ---------------------------------------------------------------------

TEST(NotifySlack, PageHasHeaderFactsAndButtons) {
  HttpRequest r = Build(ChannelKind::kSlack, Page());
  EXPECT_EQ(r.url, "https://hooks.example/x");
  EXPECT_EQ(Header(r, "Content-Type"), "application/json");
  Json b = Body(r);
  EXPECT_EQ(b["text"], "SEV-1 INC-42 triggered: Checkout 5xx above 5%");
  const Json& blocks = b["blocks"];
  ASSERT_GE(blocks.size(), 4u);
  EXPECT_EQ(blocks[0]["type"], "header");
  EXPECT_EQ(blocks[0]["text"]["type"], "plain_text");
  EXPECT_EQ(blocks[0]["text"]["text"], "SEV-1 INC-42 triggered: Checkout 5xx above 5%");
  EXPECT_EQ(blocks[1]["type"], "section");
  EXPECT_EQ(blocks[1]["text"]["type"], "mrkdwn");
  EXPECT_EQ(blocks[1]["text"]["text"],
            "Error rate 7.2% for 5 minutes.\n:book: "
            "<https://wiki.example/runbooks/checkout?x=1&amp;y=2|Runbook>");
  EXPECT_EQ(blocks[2]["fields"][0]["text"], "*Severity*\nSEV-1");
  EXPECT_EQ(blocks[2]["fields"][2]["text"], "*Service*\ncheckout");
  EXPECT_EQ(blocks[2]["fields"][3]["text"], "*Region*\neu-west-1");
  const Json& actions = blocks[3];
  ASSERT_EQ(actions["type"], "actions");
  ASSERT_EQ(actions["elements"].size(), 4u);
  EXPECT_EQ(actions["elements"][0]["text"]["text"], "Acknowledge");
  EXPECT_EQ(actions["elements"][0]["url"], "https://klaxon.example/a/ACK.TOKEN");
  EXPECT_EQ(actions["elements"][0]["style"], "primary");
  EXPECT_EQ(actions["elements"][1]["text"]["text"], "Resolve");
  EXPECT_EQ(actions["elements"][1]["url"], "https://klaxon.example/a/RES.TOKEN");
  EXPECT_EQ(actions["elements"][2]["url"], "https://klaxon.example/incidents/42");
  EXPECT_EQ(actions["elements"][3]["url"], "https://wiki.example/runbooks/checkout?x=1&y=2");
  EXPECT_EQ(blocks.back()["type"], "context");
}

TEST(NotifySlack, UserTextCannotMentionOrLink) {
  Message m = Page();
  m.title = "<!channel> <https://evil.example|click> & co";
  m.summary = "<@U123>";
  m.fields = {{"a<b", "c>d"}};
  Json b = Body(Build(ChannelKind::kSlack, m));
  Json mrkdwn = b;
  mrkdwn["blocks"].erase(0);  // the plain_text header
  const std::string all = mrkdwn.dump();
  EXPECT_EQ(all.find("<!channel>"), std::string::npos);
  EXPECT_EQ(all.find("<@U123>"), std::string::npos);
  EXPECT_EQ(all.find("<https://evil"), std::string::npos);
  EXPECT_EQ(b["text"],
            "SEV-1 INC-42 triggered: &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co");
  // The header is plain_text: shown as typed, nothing to escape.
  EXPECT_EQ(b["blocks"][0]["text"]["text"],
            "SEV-1 INC-42 triggered: <!channel> <https://evil.example|click> & co");
  EXPECT_EQ(b["blocks"][2]["fields"][3]["text"], "*a&lt;b*\nc&gt;d");
}

TEST(NotifySlack, LimitsAreKept) {
  Message m = Page();
  m.title = std::string(400, 'x');
  m.summary = std::string(5000, 'y');
  for (int i = 0; i < 20; ++i) m.fields.push_back({"f" + std::to_string(i), "v"});
  Json b = Body(Build(ChannelKind::kSlack, m));
  EXPECT_EQ(TextUnits(b["blocks"][0]["text"]["text"].get<std::string>()), 150u);
  EXPECT_LE(TextUnits(b["blocks"][1]["text"]["text"].get<std::string>()), 3000u);
  EXPECT_EQ(b["blocks"][2]["fields"].size(), 10u);
}

TEST(NotifySlack, InvalidUtf8StillMakesValidJson) {
  Message m = Page();
  m.title = "bad \xC3\x28 byte";
  HttpRequest r = Build(ChannelKind::kSlack, m);
  EXPECT_NO_THROW(Json::parse(r.body));
}

TEST(NotifyMattermost, SlackCompatibleTextAndAttachment) {
  Message m = Page();
  m.title = "@channel look";
  Json b = Body(Build(ChannelKind::kMattermost, m));
  EXPECT_EQ(b["text"], "SEV-1 INC-42 triggered: @\u200Bchannel look");
  ASSERT_EQ(b["attachments"].size(), 1u);
  const Json& a = b["attachments"][0];
  EXPECT_EQ(a["color"], "#D13438");
  EXPECT_EQ(a["fallback"], "SEV-1 INC-42 triggered: @channel look");
  const std::string text = a["text"];
  EXPECT_NE(text.find("**[Acknowledge](https://klaxon.example/a/ACK.TOKEN)**"), std::string::npos);
  EXPECT_NE(text.find("**[Resolve](https://klaxon.example/a/RES.TOKEN)**"), std::string::npos);
  EXPECT_NE(text.find("[Runbook](https://wiki.example/runbooks/checkout?x=1&y=2)"),
            std::string::npos);
  EXPECT_EQ(a["fields"][0]["title"], "Severity");
  EXPECT_EQ(a["fields"][0]["value"], "SEV-1");
  EXPECT_EQ(a["fields"][0]["short"], true);
}

TEST(NotifyTeams, AdaptiveCardWithOpenUrlActions) {
  Json b = Body(Build(ChannelKind::kTeams, Page()));
  EXPECT_EQ(b["type"], "message");
  const Json& att = b["attachments"][0];
  EXPECT_EQ(att["contentType"], "application/vnd.microsoft.card.adaptive");
  EXPECT_TRUE(att["contentUrl"].is_null());
  const Json& card = att["content"];
  EXPECT_EQ(card["type"], "AdaptiveCard");
  EXPECT_EQ(card["version"], "1.4");
  EXPECT_EQ(card["$schema"], "http://adaptivecards.io/schemas/adaptive-card.json");
  EXPECT_EQ(card["body"][0]["text"], "SEV-1 INC-42 triggered: Checkout 5xx above 5%");
  EXPECT_EQ(card["body"][0]["color"], "Attention");
  EXPECT_EQ(card["body"][1]["text"], "Error rate 7.2% for 5 minutes.");
  EXPECT_EQ(card["body"][2]["type"], "FactSet");
  EXPECT_EQ(card["body"][2]["facts"][1], (Json{{"title", "Status"}, {"value", "triggered"}}));
  const Json& actions = card["actions"];
  ASSERT_EQ(actions.size(), 4u);
  EXPECT_EQ(actions[0], (Json{{"type", "Action.OpenUrl"},
                              {"title", "Acknowledge"},
                              {"url", "https://klaxon.example/a/ACK.TOKEN"},
                              {"style", "positive"}}));
  EXPECT_EQ(actions[1]["title"], "Resolve");
  EXPECT_EQ(card["msteams"]["width"], "Full");
}

TEST(NotifyDiscord, EmbedWithIntegerColorAndNoMentions) {
  Message m = Page();
  m.severity = "SEV-2";
  m.summary = "@everyone <@123> **x**";
  Json b = Body(Build(ChannelKind::kDiscord, m));
  EXPECT_EQ(b["allowed_mentions"], (Json{{"parse", Json::array()}}));
  EXPECT_EQ(b["content"], "SEV-2 INC-42 triggered: Checkout 5xx above 5%");
  ASSERT_EQ(b["embeds"].size(), 1u);
  const Json& e = b["embeds"][0];
  EXPECT_EQ(e["color"], 0xE8912D);
  EXPECT_TRUE(e["color"].is_number_integer());
  EXPECT_EQ(e["url"], "https://klaxon.example/incidents/42");
  EXPECT_EQ(e["timestamp"], "2023-11-14T22:13:20.000Z");
  const std::string d = e["description"];
  EXPECT_EQ(d.rfind("**[Acknowledge](https://klaxon.example/a/ACK.TOKEN)**", 0), 0u) << d;
  EXPECT_NE(d.find("[Resolve](https://klaxon.example/a/RES.TOKEN)"), std::string::npos);
  EXPECT_NE(d.find("@everyone \\<@123\\> \\*\\*x\\*\\*"), std::string::npos) << d;
  EXPECT_EQ(e["fields"][0], (Json{{"name", "Severity"}, {"value", "SEV-2"}, {"inline", true}}));
}

TEST(NotifyDiscord, EmbedStaysUnderTheTotalLimit) {
  Message m = Page();
  m.title = std::string(1000, 't');
  m.summary = std::string(9000, 's');
  for (int i = 0; i < 40; ++i) m.fields.push_back({std::string(300, 'n'), std::string(2000, 'v')});
  Json e = Body(Build(ChannelKind::kDiscord, m))["embeds"][0];
  size_t total =
      TextUnits(e["title"].get<std::string>()) + TextUnits(e["description"].get<std::string>()) + 6;
  for (const auto& f : e["fields"]) {
    total += TextUnits(f["name"].get<std::string>()) + TextUnits(f["value"].get<std::string>());
  }
  EXPECT_LE(total, 6000u);
  EXPECT_LE(e["fields"].size(), 25u);
  EXPECT_LE(TextUnits(e["title"].get<std::string>()), 256u);
}

TEST(NotifyWebhook, SignedEnvelope) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto r = BuildChatRequest(ChannelKind::kWebhook, "https://hooks.example/in", Page(), {},
                            "msg_p5jXN8AQM9LWM0D4loKWxJek", secret, kNow + 999);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Header(*r, "webhook-id"), "msg_p5jXN8AQM9LWM0D4loKWxJek");
  EXPECT_EQ(Header(*r, "webhook-timestamp"), "1700000000");
  EXPECT_EQ(Header(*r, "Content-Type"), "application/json");
  EXPECT_EQ(Header(*r, "User-Agent"), "Klaxon/1");
  EXPECT_EQ(Header(*r, "X-Klaxon-Event"), "incident.page");
  EXPECT_EQ(Header(*r, "webhook-signature"),
            SignWebhook(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1700000000, r->body).value());
  Json b = Body(*r);
  EXPECT_EQ(b["type"], "incident.page");
  EXPECT_EQ(b["timestamp"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(b["text"],
            "SEV-1 INC-42 triggered: Checkout 5xx above 5% Ack: "
            "https://klaxon.example/a/ACK.TOKEN");
  EXPECT_EQ(Message::FromJson(b["data"]), Page());
}

TEST(NotifyWebhook, SecretAndIdChecks) {
  auto unsigned_req =
      BuildChatRequest(ChannelKind::kWebhook, "https://h.example", Page(), {}, "m1", "", kNow);
  ASSERT_TRUE(unsigned_req.ok());
  EXPECT_EQ(Header(*unsigned_req, "webhook-signature"), "");
  EXPECT_EQ(Header(*unsigned_req, "webhook-id"), "m1");
  EXPECT_FALSE(
      BuildChatRequest(ChannelKind::kWebhook, "https://h.example", Page(), {}, "m1", "nope", kNow)
          .ok());
  EXPECT_FALSE(
      BuildChatRequest(ChannelKind::kWebhook, "https://h.example", Page(), {}, "a.b", "", kNow)
          .ok());
  EXPECT_FALSE(
      BuildChatRequest(ChannelKind::kWebhook, "https://h.example", Page(), {}, "", "", kNow).ok());
}

TEST(NotifyChat, RejectsBadUrlsAndEmail) {
  for (const char* url : {"", "ftp://x", "file:///etc/passwd", "https://a b", "javascript:x"}) {
    EXPECT_FALSE(BuildChatRequest(ChannelKind::kSlack, url, Page(), {}, "m", "", kNow).ok()) << url;
  }
  EXPECT_FALSE(
      BuildChatRequest(ChannelKind::kEmail, "https://h.example", Page(), {}, "m", "", kNow).ok());
}

TEST(NotifyChat, TestAndHandoffMessages) {
  Message test;
  test.kind = "test";
  test.verify_code = "482913";
  test.ack_url = "https://k.example/a/VERIFY";
  Json slack = Body(Build(ChannelKind::kSlack, test));
  EXPECT_EQ(slack["text"], "Klaxon test message");
  EXPECT_EQ(slack["blocks"][1]["text"]["text"],
            "This is a test message from Klaxon. Your verification code is *482913*.");
  EXPECT_EQ(slack["blocks"][2]["elements"][0]["text"]["text"], "Verify");
  EXPECT_EQ(slack["blocks"][2]["elements"][0]["url"], "https://k.example/a/VERIFY");

  Message h;
  h.kind = "handoff";
  h.title = "You are now on call for Primary";
  h.recipient_name = "Bob";
  h.summary = "INC-7 [SEV-2] Disk full\nINC-9 [SEV-3] Slow checkout\n";
  Json d = Body(Build(ChannelKind::kDiscord, h));
  EXPECT_EQ(d["content"], "You are now on call for Primary");
  EXPECT_EQ(d["embeds"][0]["title"], "You are now on call for Primary");
  EXPECT_EQ(d["embeds"][0]["description"],
            "**Open incidents:**\nINC-7 \\[SEV-2\\] Disk full\nINC-9 \\[SEV-3\\] Slow checkout");
  EXPECT_EQ(d["embeds"][0]["color"], 0x1D9BD1);
  EXPECT_FALSE(d["embeds"][0].contains("fields"));
  h.summary = "";
  Json s = Body(Build(ChannelKind::kSlack, h));
  EXPECT_EQ(s["blocks"][0]["text"]["text"], "You are now on call for Primary");
  EXPECT_EQ(s["blocks"][1]["text"]["text"], "There are no open incidents.");
}

TEST(NotifyChat, RoleMessageReadsLikeAPage) {
  Message m = Page();
  m.kind = "role";
  m.status = "acknowledged";
  m.summary = "You are now incident commander for INC-42.";
  m.fields.push_back({"Role", "incident commander"});
  Json b = Body(Build(ChannelKind::kSlack, m));
  EXPECT_EQ(b["text"], "SEV-1 INC-42 acknowledged: Checkout 5xx above 5%");
  EXPECT_EQ(b["blocks"][1]["text"]["text"].get<std::string>().rfind(
                "You are now incident commander for INC-42.", 0),
            0u);
  EXPECT_EQ(b["blocks"][2]["fields"][4]["text"], "*Role*\nincident commander");
  EXPECT_EQ(b["blocks"][3]["elements"][0]["text"]["text"], "Acknowledge");
  auto w = BuildChatRequest(ChannelKind::kWebhook, "https://h.example", m, {}, "m1", "", kNow);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(Body(*w)["type"], "incident.role_assigned");
}

TEST(NotifyChat, ResolvedIsGreenWithoutActionButtons) {
  Message m = Page();
  m.kind = "resolved";
  m.status = "resolved";
  m.ack_url = m.resolve_url = "";
  Json t = Body(Build(ChannelKind::kTeams, m));
  const Json& card = t["attachments"][0]["content"];
  EXPECT_EQ(card["body"][0]["text"], "SEV-1 INC-42 resolved: Checkout 5xx above 5%");
  EXPECT_EQ(card["body"][0]["color"], "Good");
  EXPECT_EQ(card["actions"][0]["title"], "Open in Klaxon");
}

// ---- Standard Webhooks -----------------------------------------------------------------

TEST(NotifySign, StandardWebhooksTestVector) {
  auto sig = SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                         1614265330, R"({"test": 2432232314})");
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_EQ(sig.value(), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(NotifySign, ComposedVector) {
  auto sig = SignWebhook(
      "whsec_aW5jaWRlbnQtcGxhdGZvcm0tdGVzdC1zZWNyZXQtMzI=", "msg_01HZX0TEST", 1700000000,
      R"({"type":"incident.created","timestamp":"2023-11-14T22:13:20Z","data":{"id":"INC-1"}})");
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_EQ(sig.value(), "v1,H0b6XQdwCBIe0nhm28fWpEYrVPTCcEF0IQJsFBPAhyE=");
}

TEST(NotifySign, MalformedSecretsAndIds) {
  EXPECT_FALSE(SignWebhook("", "id", 1, "b").ok());
  EXPECT_FALSE(SignWebhook("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "id", 1, "b").ok());
  EXPECT_FALSE(SignWebhook("whsec_", "id", 1, "b").ok());
  EXPECT_FALSE(SignWebhook("whsec_!!!not-base64!!!", "id", 1, "b").ok());
  EXPECT_FALSE(SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "a.b", 1, "b").ok());
  // Padding may be left off when pasting a secret.
  EXPECT_EQ(
      SignWebhook("whsec_aW5jaWRlbnQtcGxhdGZvcm0tdGVzdC1zZWNyZXQtMzI", "id", 1, "b").value(),
      SignWebhook("whsec_aW5jaWRlbnQtcGxhdGZvcm0tdGVzdC1zZWNyZXQtMzI=", "id", 1, "b").value());
}

TEST(NotifySign, NewSecretsAreRandom32Bytes) {
  const std::string a = NewWebhookSecret(), b = NewWebhookSecret();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.rfind("whsec_", 0), 0u);
  auto key = Base64Decode(a.substr(6));
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->size(), 32u);
  EXPECT_TRUE(SignWebhook(a, "id", 1, "b").ok());
}

// ---- Judge -----------------------------------------------------------------------------

TEST(NotifyJudge, Success) {
  EXPECT_EQ(Judge(ChannelKind::kSlack, 200, "ok", {}).outcome, Outcome::kDelivered);
  EXPECT_EQ(Judge(ChannelKind::kMattermost, 200, "ok", {}).outcome, Outcome::kDelivered);
  EXPECT_EQ(Judge(ChannelKind::kTeams, 200, "1", {}).outcome, Outcome::kDelivered);
  EXPECT_EQ(Judge(ChannelKind::kTeams, 202, "", {}).outcome, Outcome::kDelivered);
  EXPECT_EQ(Judge(ChannelKind::kDiscord, 204, "", {}).outcome, Outcome::kDelivered);
  EXPECT_EQ(Judge(ChannelKind::kDiscord, 200, R"({"id":"1"})", {}).outcome, Outcome::kDelivered);
  EXPECT_EQ(Judge(ChannelKind::kWebhook, 201, "", {}).outcome, Outcome::kDelivered);
}

TEST(NotifyJudge, TeamsConnectorErrorInsideA200) {
  Verdict v = Judge(ChannelKind::kTeams, 200,
                    "Webhook message delivery failed with error: Microsoft Teams endpoint "
                    "returned HTTP error 429 with ContextId abc",
                    {});
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  Verdict bad = Judge(ChannelKind::kTeams, 200, "Summary or Text is required.", {});
  EXPECT_EQ(bad.outcome, Outcome::kGiveUp);
  EXPECT_EQ(bad.detail, "HTTP 200: Summary or Text is required.");
}

TEST(NotifyJudge, SlackGoneOrRevokedGivesUp) {
  Verdict v = Judge(ChannelKind::kSlack, 404, "no_service", {});
  EXPECT_EQ(v.outcome, Outcome::kGiveUp);
  EXPECT_EQ(v.detail, "HTTP 404: no_service");
  EXPECT_EQ(Judge(ChannelKind::kSlack, 410, "channel_is_archived", {}).outcome, Outcome::kGiveUp);
  EXPECT_EQ(Judge(ChannelKind::kWebhook, 410, "", {}).outcome, Outcome::kGiveUp);
  EXPECT_EQ(Judge(ChannelKind::kSlack, 400, "invalid_payload", {}).outcome, Outcome::kGiveUp);
  EXPECT_EQ(Judge(ChannelKind::kSlack, 403, "action_prohibited", {}).outcome, Outcome::kGiveUp);
}

TEST(NotifyJudge, RetryHonoursRetryAfter) {
  Verdict v = Judge(ChannelKind::kSlack, 429, "rate_limited", {{"retry-after", " 7 "}});
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  EXPECT_EQ(v.retry_after_ms, 7000);
  EXPECT_EQ(v.detail, "HTTP 429: rate_limited");
  Verdict date =
      Judge(ChannelKind::kWebhook, 503, "", {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}});
  EXPECT_EQ(date.outcome, Outcome::kRetry);
  EXPECT_FALSE(date.retry_after_ms.has_value());
  EXPECT_EQ(Judge(ChannelKind::kTeams, 500, "", {}).outcome, Outcome::kRetry);
  EXPECT_EQ(Judge(ChannelKind::kWebhook, 502, "", {}).outcome, Outcome::kRetry);
  EXPECT_EQ(Judge(ChannelKind::kWebhook, 408, "", {}).outcome, Outcome::kRetry);
  EXPECT_FALSE(Judge(ChannelKind::kWebhook, 500, "", {}).retry_after_ms.has_value());
}

TEST(NotifyJudge, DiscordRetryAfterInBody) {
  Verdict v =
      Judge(ChannelKind::kDiscord, 429,
            R"({"message": "You are being rate limited.", "retry_after": 1.234, "global": false})",
            {{"Retry-After", "2"}});
  EXPECT_EQ(v.outcome, Outcome::kRetry);
  EXPECT_EQ(v.retry_after_ms, 1234);
  EXPECT_EQ(v.detail, "HTTP 429: You are being rate limited.");
  EXPECT_EQ(Judge(ChannelKind::kDiscord, 429, "", {{"Retry-After", "2"}}).retry_after_ms, 2000);
  EXPECT_EQ(
      Judge(ChannelKind::kDiscord, 404, R"({"message": "Unknown Webhook", "code": 10015})", {})
          .detail,
      "HTTP 404: Unknown Webhook");
}

TEST(NotifyJudge, RedirectsTransportErrorsAndOddities) {
  Verdict r = Judge(ChannelKind::kWebhook, 301, "", {{"Location", "https://elsewhere"}});
  EXPECT_EQ(r.outcome, Outcome::kGiveUp);
  EXPECT_EQ(r.detail, "HTTP 301: redirect not followed");
  Verdict t = Judge(ChannelKind::kSlack, 0, "Couldn't connect to server", {});
  EXPECT_EQ(t.outcome, Outcome::kRetry);
  EXPECT_EQ(t.detail, "no answer: Couldn't connect to server");
  EXPECT_EQ(Judge(ChannelKind::kWebhook, 100, "", {}).outcome, Outcome::kRetry);
  EXPECT_EQ(
      Judge(ChannelKind::kTeams, 400, R"({"error":{"code":"x","message":"Bad card"}})", {}).detail,
      "HTTP 400: Bad card");
  EXPECT_LE(Judge(ChannelKind::kWebhook, 500, std::string(10000, 'e'), {}).detail.size(), 220u);
}

// ---- backoff ---------------------------------------------------------------------------

TEST(NotifyBackoff, DoublesToTheCapWithJitter) {
  EXPECT_EQ(BackoffMs(0, 2000, 300000, 0.0), 1000);
  EXPECT_EQ(BackoffMs(0, 2000, 300000, 0.5), 1500);
  EXPECT_EQ(BackoffMs(1, 2000, 300000, 0.0), 2000);
  EXPECT_EQ(BackoffMs(3, 2000, 300000, 0.0), 8000);
  EXPECT_EQ(BackoffMs(20, 2000, 300000, 0.0), 150000);
  EXPECT_LT(BackoffMs(20, 2000, 300000, 0.999999), 300000);
  EXPECT_GE(BackoffMs(20, 2000, 300000, 0.999999), 299999);
  EXPECT_EQ(BackoffMs(1000000, 2000, 300000, 0.0), 150000);  // no overflow
  EXPECT_EQ(BackoffMs(-3, 2000, 300000, 0.0), 1000);
  EXPECT_LE(BackoffMs(2, 2000, 300000, 7.0), 8000);
  EXPECT_GE(BackoffMs(2, 2000, 300000, 7.0), 7999);
  EXPECT_EQ(BackoffMs(2, 2000, 300000, -1.0), 4000);
  for (int a = 0; a < 12; ++a) {
    for (double u : {0.0, 0.25, 0.5, 0.75, 0.99}) {
      int64_t d = BackoffMs(a, 2000, 300000, u);
      int64_t full = std::min<int64_t>(300000, 2000LL << a);
      EXPECT_GE(d, full / 2);
      EXPECT_LE(d, full);
    }
  }
}

}  // namespace
}  // namespace klaxon::notify
