#include "paging/people.h"

#include <gtest/gtest.h>

#include "paging/paging_test_fixture.h"

namespace klaxon::paging {
namespace {

using notify::ChannelKind;
using test::kMinute;
using test::kStart;
using test::PagingTest;

// The one field an invalid-argument status names ("" when it is not one).
std::string FieldOf(const Status& s) {
  if (s.code() != Code::kInvalidArgument || s.fields().size() != 1) return "";
  return s.fields()[0].field;
}

TEST(ValidateAddressTest, EmailAddresses) {
  for (const char* ok : {"alice@example.com", "a@b", "first.last+tag@sub.example.org"})
    EXPECT_TRUE(ValidateAddress(ChannelKind::kEmail, ok).ok()) << ok;
  for (const char* bad :
       {"", "alice", "@example.com", "alice@", "a@b@c", "alice smith@example.com",
        "<alice@example.com>", "alice@example.com,bob@example.com", "https://example.com"}) {
    Status s = ValidateAddress(ChannelKind::kEmail, bad);
    EXPECT_EQ(FieldOf(s), "/address") << bad;
  }
  EXPECT_EQ(FieldOf(ValidateAddress(ChannelKind::kEmail, std::string(2001, 'a') + "@b")),
            "/address");
}

TEST(ValidateAddressTest, WebhookUrls) {
  for (auto kind : {ChannelKind::kSlack, ChannelKind::kTeams, ChannelKind::kDiscord,
                    ChannelKind::kMattermost, ChannelKind::kWebhook}) {
    for (const char* ok : {"https://hooks.example.com/T0/B0/x", "http://127.0.0.1:9000/hook"})
      EXPECT_TRUE(ValidateAddress(kind, ok).ok()) << ok;
    for (const char* bad : {"", "alice@example.com", "ftp://example.com/x", "https://",
                            "https:///path", "hooks.example.com/x", "https://exa mple.com/"}) {
      EXPECT_EQ(FieldOf(ValidateAddress(kind, bad)), "/address") << bad;
    }
  }
}

class PeopleTest : public PagingTest {
 protected:
  void SetUp() override {
    PagingTest::SetUp();
    alice_ = AddUser("alice");
    bob_ = AddUser("bob");
  }
  int64_t alice_ = 0;
  int64_t bob_ = 0;
};

TEST_F(PeopleTest, FindUserByIdOrUsername) {
  auto by_name = InRead([&](store::Tx& tx) { return people_.FindUser(tx, "bob"); });
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->id, bob_);
  auto by_id = InRead([&](store::Tx& tx) { return people_.FindUser(tx, std::to_string(alice_)); });
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->username, "alice");
  auto missing = InRead([&](store::Tx& tx) { return people_.FindUser(tx, "mallory"); });
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

TEST_F(PeopleTest, AddContactMethodValidatesKindAndAddress) {
  auto add = [&](const std::string& kind, const std::string& address) {
    return InWrite([&](store::Tx& tx) {
      return people_.AddContactMethod(tx, alice_, kind, address, "", admin_);
    });
  };
  EXPECT_EQ(FieldOf(add("sms", "+15555550100").status()), "/kind");
  EXPECT_EQ(FieldOf(add("email", "https://example.com").status()), "/address");
  EXPECT_EQ(FieldOf(add("slack", "alice@example.com").status()), "/address");
  auto unknown_user = InWrite([&](store::Tx& tx) {
    return people_.AddContactMethod(tx, 999, "email", "x@example.com", "", admin_);
  });
  EXPECT_EQ(unknown_user.status().code(), Code::kNotFound);

  auto email = add("email", "alice@example.com");
  ASSERT_TRUE(email.ok()) << email.status().ToString();
  EXPECT_EQ(email->label, "email");
  EXPECT_TRUE(email->secret.empty());
  EXPECT_FALSE(email->verified_at.has_value());
  auto hook = add("webhook", "https://hooks.example.com/alice");
  ASSERT_TRUE(hook.ok()) << hook.status().ToString();
  EXPECT_FALSE(hook->secret.empty());  // webhooks are signed
  EXPECT_EQ(Events(std::nullopt, "contact_method.added").size(), 2u);
}

TEST_F(PeopleTest, DuplicateContactMethodIsAConflict) {
  MustAddMethod(alice_, "email", "alice@example.com");
  auto dup = InWrite([&](store::Tx& tx) {
    return people_.AddContactMethod(tx, alice_, "email", "alice@example.com", "again", admin_);
  });
  EXPECT_EQ(dup.status().code(), Code::kConflict);
  // The same address for another user, or as another kind, is fine.
  MustAddMethod(bob_, "email", "alice@example.com");
  MustAddMethod(alice_, "webhook", "https://example.com/alice");
  MustAddMethod(alice_, "slack", "https://example.com/alice");
}

TEST_F(PeopleTest, VerifyWithACode) {
  ContactMethod m = MustAddMethod(alice_, "email", "alice@example.com");
  auto verify = [&](int64_t user, const std::string& code) {
    return InWrite([&](store::Tx& tx) { return people_.Verify(tx, user, m.id, code, admin_); });
  };
  // No code was sent yet.
  EXPECT_EQ(FieldOf(verify(alice_, "123456").status()), "/code");

  auto code = InWrite([&](store::Tx& tx) { return people_.NewVerifyCode(tx, alice_, m.id); });
  ASSERT_TRUE(code.ok());
  ASSERT_EQ(code->size(), 6u);
  std::string wrong = *code == "000000" ? "000001" : "000000";
  auto bad = verify(alice_, wrong);
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(FieldOf(bad.status()), "/code");
  EXPECT_EQ(verify(alice_, code->substr(0, 5)).status().code(), Code::kInvalidArgument);
  // Another user cannot verify alice's method.
  EXPECT_EQ(verify(bob_, *code).status().code(), Code::kNotFound);

  auto ok = verify(alice_, *code);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->verified_at, kStart);
  auto got = InRead([&](store::Tx& tx) { return people_.GetContactMethod(tx, alice_, m.id); });
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->verified_at, kStart);
  EXPECT_EQ(Events(std::nullopt, "contact_method.verified").size(), 1u);
}

TEST_F(PeopleTest, VerifyByLinkNeedsNoCode) {
  ContactMethod m = MustAddMethod(alice_, "email", "alice@example.com");
  auto ok = InWrite([&](store::Tx& tx) { return people_.Verify(tx, alice_, m.id, "", admin_); });
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->verified_at.has_value());
  // Verifying again changes nothing and logs nothing.
  clock_.Advance(kMinute);
  auto again = InWrite([&](store::Tx& tx) { return people_.Verify(tx, alice_, m.id, "", admin_); });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->verified_at, kStart);
  EXPECT_EQ(Events(std::nullopt, "contact_method.verified").size(), 1u);
}

TEST_F(PeopleTest, RuleDelayBounds) {
  ContactMethod m = MustAddMethod(alice_, "email", "alice@example.com");
  auto add = [&](int delay) {
    return InWrite([&](store::Tx& tx) { return people_.AddRule(tx, alice_, m.id, delay, admin_); });
  };
  EXPECT_EQ(FieldOf(add(-1).status()), "/delay_minutes");
  EXPECT_EQ(FieldOf(add(kMaxRuleDelayMinutes + 1).status()), "/delay_minutes");
  EXPECT_TRUE(add(0).ok());
  EXPECT_TRUE(add(kMaxRuleDelayMinutes).ok());
  EXPECT_EQ(add(0).status().code(), Code::kConflict);  // the same rule twice
  // A method of another user is not one of alice's.
  ContactMethod bobs = MustAddMethod(bob_, "email", "bob@example.com");
  auto other =
      InWrite([&](store::Tx& tx) { return people_.AddRule(tx, alice_, bobs.id, 5, admin_); });
  EXPECT_EQ(FieldOf(other.status()), "/contact_method");
}

TEST_F(PeopleTest, PagePlanUsesRulesOrEveryMethodAtOnce) {
  ContactMethod email = MustAddMethod(alice_, "email", "alice@example.com");
  ContactMethod slack = MustAddMethod(alice_, "slack", "https://hooks.example.com/alice");
  auto plan = InRead([&](store::Tx& tx) { return people_.PagePlan(tx, alice_); });
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0].first.id, email.id);
  EXPECT_EQ((*plan)[0].second, 0);
  EXPECT_EQ((*plan)[1].first.id, slack.id);
  EXPECT_EQ((*plan)[1].second, 0);

  MustAddRule(alice_, email.id, 5);
  MustAddRule(alice_, slack.id, 0);
  plan = InRead([&](store::Tx& tx) { return people_.PagePlan(tx, alice_); });
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0].first.id, slack.id);
  EXPECT_EQ((*plan)[0].second, 0);
  EXPECT_EQ((*plan)[1].first.id, email.id);
  EXPECT_EQ((*plan)[1].second, 5);

  auto nobody = InRead([&](store::Tx& tx) { return people_.PagePlan(tx, bob_); });
  ASSERT_TRUE(nobody.ok());
  EXPECT_TRUE(nobody->empty());
}

TEST_F(PeopleTest, RemovingAMethodRemovesItsRules) {
  ContactMethod email = MustAddMethod(alice_, "email", "alice@example.com");
  ContactMethod slack = MustAddMethod(alice_, "slack", "https://hooks.example.com/alice");
  MustAddRule(alice_, email.id, 0);
  MustAddRule(alice_, slack.id, 2);
  ASSERT_TRUE(InWrite([&](store::Tx& tx) {
                return people_.RemoveContactMethod(tx, alice_, email.id, admin_);
              }).ok());
  auto profile = InRead([&](store::Tx& tx) { return people_.GetProfile(tx, alice_); });
  ASSERT_TRUE(profile.ok());
  ASSERT_EQ(profile->methods.size(), 1u);
  ASSERT_EQ(profile->rules.size(), 1u);
  EXPECT_EQ(profile->rules[0].contact_method_id, slack.id);
}

TEST_F(PeopleTest, UpdateProfileChecksTheTimeZone) {
  auto bad = InWrite([&](store::Tx& tx) {
    return people_.UpdateProfile(tx, alice_, std::nullopt, "Mars/Olympus", admin_);
  });
  EXPECT_EQ(FieldOf(bad.status()), "/time_zone");
  auto ok = InWrite([&](store::Tx& tx) {
    return people_.UpdateProfile(tx, alice_, "Alice A.", "Europe/Berlin", admin_);
  });
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->time_zone, "Europe/Berlin");
  EXPECT_EQ(ok->user.name, "Alice A.");
}

}  // namespace
}  // namespace klaxon::paging
