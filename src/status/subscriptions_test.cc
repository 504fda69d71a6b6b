// Status page subscriptions on a real SQLite store: the opt-in states, who an update
// reaches (components, groups), enumeration-safe subscribing, tokens, removal cancelling
// queued messages; and the pure parts (addresses, webhook URLs, the pages, the messages).
#include "status/subscriptions.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "alerts/suppression.h"
#include "engine/timers.h"
#include "notify/channels.h"
#include "status/render.h"

namespace klaxon::status {
namespace {

using nlohmann::json;

constexpr TimeMs kStart = 1795646741123;  // 2026-11-25T22:45:41.123Z

class SubscriptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string tmpl = base + "/klaxon_subs_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store::SqliteOptions o;
    o.synchronous_full = false;
    auto s = store::OpenStore("sqlite:" + dir_ + "/klaxon.db", o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    timers_ = std::make_unique<engine::Timers>(*store_, clock_);
    service_ = std::make_unique<StatusService>(clock_, log_, *timers_, suppression_);
    service_->Install();
    subs_ = std::make_unique<Subscriptions>(clock_, log_, *service_, "http://klaxon.test");
    subs_->SetEnqueue([this](store::Tx&, const SubscriberDelivery& d) {
      queued_.push_back(d);
      return Status::Ok();
    });
    subs_->Install();
    Write([&](store::Tx& tx) -> Status {
      for (const char* name : {"Shop", "Search"})
        KLAXON_RETURN_IF_ERROR(service_->CreateComponent(tx, {{"name", name}}, admin_).status());
      KLAXON_RETURN_IF_ERROR(
          service_->CreateComponent(tx, {{"name", "API"}, {"is_group", true}}, admin_).status());
      return service_->CreateComponent(tx, {{"name", "REST"}, {"group", "API"}}, admin_).status();
    });
  }
  void TearDown() override {
    subs_.reset();
    service_.reset();
    timers_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Write(const std::function<Status(store::Tx&)>& fn) {
    Status s = store_->Write(fn);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  Status TryWrite(const std::function<Status(store::Tx&)>& fn) { return store_->Write(fn); }

  std::string PublicId(const std::string& name) {
    std::string out;
    Write([&](store::Tx& tx) -> Status {
      KLAXON_ASSIGN_OR_RETURN(auto c, service_->FindComponent(tx, name));
      out = c.public_id;
      return Status::Ok();
    });
    return out;
  }

  // Subscribes and confirms `email`; returns the token.
  std::string Active(const std::string& email, json components = json::array()) {
    queued_.clear();
    Write([&](store::Tx& tx) {
      return subs_->Subscribe(tx, {{"email", email}, {"components", components}});
    });
    EXPECT_EQ(queued_.size(), 1u);
    std::string url = queued_.back().message.confirm_url;
    std::string token = url.substr(url.find("token=") + 6);
    Write([&](store::Tx& tx) { return subs_->Confirm(tx, token).status(); });
    queued_.clear();
    return token;
  }

  std::vector<std::string> Publish(const json& components) {
    queued_.clear();
    Write([&](store::Tx& tx) {
      return service_
          ->CreateIncident(
              tx, {{"name", "Outage"}, {"body", "Looking."}, {"components", components}}, admin_)
          .status();
    });
    std::vector<std::string> to;
    for (const auto& d : queued_) to.push_back(d.address);
    std::sort(to.begin(), to.end());
    return to;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{kStart};
  events::EventBus bus_;
  events::EventLog log_{clock_, bus_};
  alerts::SuppressionStore suppression_{clock_, log_};
  std::unique_ptr<engine::Timers> timers_;
  std::unique_ptr<StatusService> service_;
  std::unique_ptr<Subscriptions> subs_;
  std::vector<SubscriberDelivery> queued_;
  events::Actor admin_{"user", 1, "admin"};
};

TEST_F(SubscriptionsTest, PendingGetsOnlyTheConfirmationUntilConfirmed) {
  Write([&](store::Tx& tx) { return subs_->Subscribe(tx, {{"email", "Ann@Example.COM"}}); });
  ASSERT_EQ(queued_.size(), 1u);
  const SubscriberDelivery d = queued_[0];
  EXPECT_EQ(d.kind, "subscription");
  EXPECT_EQ(d.channel, "email");
  EXPECT_EQ(d.address, "ann@example.com");
  EXPECT_TRUE(d.message.confirm_url.starts_with("http://klaxon.test/status/subscription?token="));
  EXPECT_TRUE(Publish(json::object({{"Shop", "major_outage"}})).empty());
  std::string token = d.message.confirm_url.substr(d.message.confirm_url.find("token=") + 6);
  Write([&](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(auto s, subs_->Confirm(tx, token));
    EXPECT_EQ(s.state, "active");
    return Status::Ok();
  });
  EXPECT_EQ(Publish(json::object({{"Shop", "major_outage"}})),
            std::vector<std::string>{"ann@example.com"});
  const auto& n = queued_[0];
  EXPECT_EQ(n.kind, "status");
  EXPECT_EQ(n.message.kind, "status");
  EXPECT_EQ(n.message.title, "Outage");
  EXPECT_EQ(n.message.status, "Investigating");
  EXPECT_EQ(n.message.summary, "Looking.");
  EXPECT_EQ(n.message.unsubscribe_url, "http://klaxon.test/status/unsubscribe?token=" + token);
  EXPECT_EQ(n.idem_key.rfind("status-update:", 0), 0u);
}

TEST_F(SubscriptionsTest, ComponentChoiceAndGroups) {
  Active("all@example.com");
  Active("shop@example.com", {PublicId("Shop")});
  Active("api@example.com", {PublicId("API")});  // the group: its components too
  EXPECT_EQ(Publish(json::object({{"Shop", "degraded_performance"}})),
            (std::vector<std::string>{"all@example.com", "shop@example.com"}));
  EXPECT_EQ(Publish(json::object({{"REST", "partial_outage"}})),
            (std::vector<std::string>{"all@example.com", "api@example.com"}));
  // An incident without components concerns everyone.
  EXPECT_EQ(Publish(json::object()),
            (std::vector<std::string>{"all@example.com", "api@example.com", "shop@example.com"}));
}

TEST_F(SubscriptionsTest, SubscribingAgainIsQuietAndRateLimitedPerAddress) {
  std::string token = Active("bo@example.com");
  // Within the interval of the confirmation mail: nothing.
  Write([&](store::Tx& tx) { return subs_->Subscribe(tx, {{"email", "bo@example.com"}}); });
  EXPECT_TRUE(queued_.empty());
  // Active: a note with the manage link, at most one per interval.
  clock_.Advance(Subscriptions::kMailInterval);
  Write([&](store::Tx& tx) { return subs_->Subscribe(tx, {{"email", "bo@example.com"}}); });
  ASSERT_EQ(queued_.size(), 1u);
  EXPECT_TRUE(queued_[0].message.confirm_url.empty());
  EXPECT_NE(queued_[0].message.unsubscribe_url.find(token), std::string::npos);
  Write([&](store::Tx& tx) { return subs_->Subscribe(tx, {{"email", "bo@example.com"}}); });
  EXPECT_EQ(queued_.size(), 1u);
  clock_.Advance(Subscriptions::kMailInterval);
  Write([&](store::Tx& tx) { return subs_->Subscribe(tx, {{"email", "bo@example.com"}}); });
  EXPECT_EQ(queued_.size(), 2u);
  // Still active, still the same token and components.
  Write([&](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(auto s, subs_->FindByToken(tx, token));
    EXPECT_EQ(s.state, "active");
    return Status::Ok();
  });
}

TEST_F(SubscriptionsTest, UnsubscribeCancelsAndResubscribingStartsOver) {
  std::string token = Active("cy@example.com");
  Write([&](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(auto s, subs_->Unsubscribe(tx, token));
    EXPECT_EQ(s.state, "unsubscribed");
    // Twice is fine.
    KLAXON_ASSIGN_OR_RETURN(auto again, subs_->Unsubscribe(tx, token));
    EXPECT_EQ(again.state, "unsubscribed");
    return Status::Ok();
  });
  EXPECT_TRUE(Publish(json::object()).empty());
  clock_.Advance(Subscriptions::kMailInterval);
  Write([&](store::Tx& tx) { return subs_->Subscribe(tx, {{"email", "cy@example.com"}}); });
  ASSERT_EQ(queued_.size(), 1u);
  EXPECT_EQ(queued_[0].message.confirm_url.find(token), std::string::npos) << "a new token";
  Write([&](store::Tx& tx) {
    EXPECT_EQ(subs_->FindByToken(tx, token).status().code(), Code::kNotFound);
    return Status::Ok();
  });
}

TEST_F(SubscriptionsTest, ConfirmationExpires) {
  Write([&](store::Tx& tx) { return subs_->Subscribe(tx, {{"email", "di@example.com"}}); });
  std::string url = queued_.at(0).message.confirm_url;
  std::string token = url.substr(url.find("token=") + 6);
  clock_.Advance(Subscriptions::kConfirmTtl + 1);
  Status s = TryWrite([&](store::Tx& tx) { return subs_->Confirm(tx, token).status(); });
  EXPECT_EQ(s.code(), Code::kConflict);
}

TEST_F(SubscriptionsTest, BadInputNamesTheFieldAndStoresNothing) {
  for (const json& body : {json{{"email", "nope"}}, json{{"email", 3}}, json::object(),
                           json{{"email", "e@example.com"}, {"components", {"zzz"}}},
                           json{{"email", "e@example.com"}, {"webhook", "http://10.0.0.1/x"}},
                           json{{"email", "e@example.com"}, {"color", "red"}}}) {
    Status s = TryWrite([&](store::Tx& tx) { return subs_->Subscribe(tx, body); });
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << body.dump();
    EXPECT_FALSE(s.fields().empty()) << body.dump();
  }
  EXPECT_TRUE(queued_.empty());
  Write([&](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(auto all, subs_->List(tx, true));
    EXPECT_TRUE(all.empty());
    return Status::Ok();
  });
  Write([&](store::Tx& tx) {
    EXPECT_EQ(subs_->FindByToken(tx, "'; DROP TABLE x; --").status().code(), Code::kNotFound);
    EXPECT_EQ(subs_->FindByToken(tx, "").status().code(), Code::kNotFound);
    return Status::Ok();
  });
}

TEST_F(SubscriptionsTest, WebhookSubscribersGetTheHostedServicePayload) {
  std::string secret;
  Write([&](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(auto added,
                            subs_->Add(tx, {{"webhook", "http://127.0.0.1:9/hook"}}, admin_));
    EXPECT_EQ(added.first.state, "active");
    secret = added.second;
    return Status::Ok();
  });
  EXPECT_TRUE(secret.starts_with("whsec_"));
  Publish(json::object({{"Shop", "major_outage"}}));
  ASSERT_EQ(queued_.size(), 1u);
  const auto& d = queued_[0];
  EXPECT_EQ(d.channel, "webhook");
  EXPECT_EQ(d.secret, secret);
  json p = json::parse(d.message.payload);
  EXPECT_EQ(p["page"]["status_indicator"], "critical");
  EXPECT_EQ(p["incident"]["name"], "Outage");
  EXPECT_EQ(p["meta"]["unsubscribe"], d.message.unsubscribe_url);
  // The request the dispatcher sends is that payload, signed.
  auto req = notify::BuildChatRequest(notify::ChannelKind::kWebhook, d.address, d.message, {},
                                      "msg_1", d.secret, kStart);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(json::parse(req->body), p);
  bool signed_ = false;
  for (const auto& [k, v] : req->headers) signed_ = signed_ || k == "webhook-signature";
  EXPECT_TRUE(signed_);
  // Removal by an admin.
  Write([&](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(auto list, subs_->List(tx, false));
    EXPECT_EQ(list.size(), 1u);
    KLAXON_RETURN_IF_ERROR(subs_->Remove(tx, list.at(0).public_id, admin_));
    EXPECT_EQ(subs_->Remove(tx, list.at(0).public_id, admin_).code(), Code::kNotFound);
    return Status::Ok();
  });
  EXPECT_TRUE(Publish(json::object()).empty());
}

TEST(SubscriptionsPure, NormalizeEmail) {
  EXPECT_EQ(NormalizeEmail(" Ann@Example.COM "), "ann@example.com");
  for (const char* bad :
       {"", "ann", "@example.com", "ann@", "ann@example", "a b@example.com", "ann@@example.com",
        "ann@example..com", "<a@example.com>", "a\r\n@example.com", "a\"@example.com"})
    EXPECT_FALSE(NormalizeEmail(bad)) << bad;
  EXPECT_FALSE(NormalizeEmail(std::string(250, 'a') + "@example.com"));
}

TEST(SubscriptionsPure, PublicWebhookUrl) {
  for (const char* good :
       {"https://hooks.example.com/x", "http://203.0.113.7:8080/h?a=1", "https://[2001:db8::1]/h"})
    EXPECT_TRUE(PublicWebhookUrl(good)) << good;
  for (const char* bad :
       {"ftp://example.com/", "javascript:alert(1)", "http://localhost/x", "http://127.0.0.1/",
        "http://10.1.2.3/", "http://192.168.1.1/", "http://172.16.0.1/", "http://169.254.169.254/",
        "http://[::1]/", "http://[fe80::1]/", "http://0.0.0.0/", "http://2130706433/",
        "http://0x7f.1/", "https://user@127.0.0.1/", "http://a b/", "http://api.localhost/"})
    EXPECT_FALSE(PublicWebhookUrl(bad)) << bad;
}

TEST(SubscriptionsPure, PagesEscapeAndNeverCarryScripts) {
  Snapshot s;
  s.page.name = "<script>alert(1)</script>";
  Component c;
  c.id = 1;
  c.public_id = "abc\"><x";
  c.name = "\"><img src=x onerror=alert(1)>";
  s.components.push_back(c);
  SubscribeForm f;
  f.email = "\"><script>x</script>";
  f.error = "Enter a valid email address.";
  f.error_field = "email";
  f.components = {"abc\"><x"};
  std::string html = RenderSubscribe(s, f);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("aria-invalid=\"true\""), std::string::npos);
  EXPECT_NE(html.find(" checked"), std::string::npos);
  SubscriptionView v{"tok\"en", "email", "<b>@example.com", "", "active", {}, "Saved."};
  html = RenderSubscription(s, v);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("tok\"en"), std::string::npos);
  EXPECT_NE(html.find("Unsubscribe"), std::string::npos);
  v.state = "pending";
  EXPECT_NE(RenderSubscription(s, v).find("/status/subscription/confirm"), std::string::npos);
  EXPECT_EQ(RenderUnsubscribe(s, "<t>").find("<t>"), std::string::npos);
}

TEST(SubscriptionsPure, StatusMailsCarryOneClickUnsubscribe) {
  notify::Message m;
  m.kind = "status";
  m.page_name = "Acme Status";
  m.title = "Checkout errors";
  m.status = "Investigating";
  m.summary = "Payments fail.";
  m.console_url = "https://status.example.com/status/incidents/abc";
  m.unsubscribe_url = "https://status.example.com/status/unsubscribe?token=t0k";
  m.fields = {{"Affected", "Shop"}};
  auto mail = notify::BuildMail("status@example.com", "ann@example.com", m, {}, "m1", kStart);
  ASSERT_TRUE(mail.ok()) << mail.status().ToString();
  EXPECT_EQ(mail->subject, "[Acme Status] Checkout errors: Investigating");
  EXPECT_NE(mail->text.find("List-Unsubscribe: <https://status.example.com/status/unsubscribe?"
                            "token=t0k>\r\n"),
            std::string::npos);
  EXPECT_NE(mail->text.find("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"),
            std::string::npos);
  notify::Templates t;
  auto text = t.Render("email.text", m);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("Payments fail."), std::string::npos);
  EXPECT_NE(text->find("Affected: Shop"), std::string::npos);
  EXPECT_NE(text->find("Details: https://status.example.com/status/incidents/abc"),
            std::string::npos);
  // An unsafe URL never becomes a header or a link.
  m.unsubscribe_url = "javascript:alert(1)";
  mail = notify::BuildMail("status@example.com", "ann@example.com", m, {}, "m1", kStart);
  ASSERT_TRUE(mail.ok());
  EXPECT_EQ(mail->text.find("List-Unsubscribe"), std::string::npos);

  notify::Message c;
  c.kind = "subscription";
  c.page_name = "Acme Status";
  c.confirm_url = "https://status.example.com/status/subscription?token=abc";
  mail = notify::BuildMail("status@example.com", "ann@example.com", c, {}, "m2", kStart);
  ASSERT_TRUE(mail.ok());
  EXPECT_EQ(mail->subject, "Confirm your subscription to Acme Status");
  text = t.Render("email.text", c);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("https://status.example.com/status/subscription?token=abc"),
            std::string::npos);
}

}  // namespace
}  // namespace klaxon::status
