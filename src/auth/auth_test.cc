#include "auth/auth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/random.h"
#include "store/test_store.h"

namespace klaxon::auth {
namespace {

constexpr TimeMs kStart = 1795646741123;  // 2026-11-25T22:45:41.123Z
constexpr int kTtlHours = 12;
constexpr TimeMs kTtlMs = kTtlHours * 3600 * 1000;

// Password hashing is slow (~0.3 s), so the whole file computes one hash.
class PasswordTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    InitCrypto();
    hash_ = new std::string(HashPassword("correct horse battery"));
  }
  static void TearDownTestSuite() { delete hash_; }
  static std::string* hash_;
};
std::string* PasswordTest::hash_ = nullptr;

TEST_F(PasswordTest, HashIsArgon2idAndVerifies) {
  EXPECT_TRUE(hash_->starts_with("$argon2id$")) << *hash_;
  EXPECT_EQ(hash_->find("correct horse"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*hash_, "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(*hash_, "correct horse batterY"));
}

TEST_F(PasswordTest, MalformedHashesNeverVerify) {
  EXPECT_FALSE(VerifyPassword("", ""));
  EXPECT_FALSE(VerifyPassword("", "anything"));
  EXPECT_FALSE(VerifyPassword("plain-text-password", "plain-text-password"));
  EXPECT_FALSE(VerifyPassword(hash_->substr(0, hash_->size() - 4), "correct horse battery"));
}

TEST(Roles, ParseAndNameRoundTrip) {
  for (Role r : {Role::kViewer, Role::kResponder, Role::kAdmin})
    EXPECT_EQ(ParseRole(RoleName(r)), r);
  EXPECT_EQ(ParseRole("none"), std::nullopt);
  EXPECT_EQ(ParseRole("Admin"), std::nullopt);
  EXPECT_EQ(ParseRole(""), std::nullopt);
  EXPECT_LT(Role::kViewer, Role::kResponder);
  EXPECT_LT(Role::kResponder, Role::kAdmin);
}

class AuthServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitCrypto(); }

  void SetUp() override { ASSERT_TRUE(store_.status().ok()) << store_.status().ToString(); }
  // Runs `fn` in a write (or read) transaction and returns what it returned.
  template <typename F>
  auto Run(bool write, F fn) {
    using Ret = std::invoke_result_t<F, store::Tx&>;
    std::optional<Ret> out;
    auto body = [&](store::Tx& tx) -> Status {
      out.emplace(fn(tx));
      if constexpr (std::is_same_v<Ret, Status>)
        return *out;
      else
        return out->status();
    };
    Status s = write ? store_->Write(body) : store_->Read(body);
    if (!out || (!s.ok() && out->ok())) return Ret(s);
    return std::move(*out);
  }
  template <typename F>
  auto InWrite(F fn) {
    return Run(true, fn);
  }
  template <typename F>
  auto InRead(F fn) {
    return Run(false, fn);
  }

  User MakeUser(const std::string& username, Role role) {
    auto u = InWrite([&](store::Tx& tx) {
      return auth_.CreateUser(tx, {username, "", role, "long enough"}, "$fake$hash", admin_);
    });
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    return u.ok() ? *u : User{};
  }

  std::vector<events::Event> Events(const std::string& kind) {
    auto all = InRead([&](store::Tx& tx) { return log_.List(tx, 0, std::nullopt, 1000); });
    EXPECT_TRUE(all.ok());
    std::vector<events::Event> out;
    for (auto& e : *all)
      if (e.kind == kind) out.push_back(e);
    return out;
  }

  store::TempStore store_{"klaxon_auth_test"};
  ManualClock clock_{kStart};
  events::EventBus bus_;
  events::EventLog log_{clock_, bus_};
  AuthService auth_{clock_, log_, kTtlHours};
  events::Actor admin_{"user", 1, "root"};
};

TEST_F(AuthServiceTest, ValidateNewUser) {
  auto fields = [&](const NewUser& u) {
    std::vector<std::string> out;
    Status st = auth_.ValidateNewUser(u);
    for (const auto& f : st.fields()) out.push_back(f.field);
    return out;
  };
  EXPECT_TRUE(auth_.ValidateNewUser({"alice", "Alice", Role::kViewer, "12345678"}).ok());
  EXPECT_TRUE(
      auth_.ValidateNewUser({"a.b_c-d@example.com", "", Role::kAdmin, std::string(1024, 'x')})
          .ok());
  EXPECT_TRUE(auth_.ValidateNewUser({std::string(64, 'u'), "", Role::kViewer, "12345678"}).ok());
  using V = std::vector<std::string>;
  EXPECT_EQ(fields({"", "", Role::kViewer, "12345678"}), V{"/username"});
  EXPECT_EQ(fields({std::string(65, 'u'), "", Role::kViewer, "12345678"}), V{"/username"});
  EXPECT_EQ(fields({"has space", "", Role::kViewer, "12345678"}), V{"/username"});
  EXPECT_EQ(fields({"semi;colon", "", Role::kViewer, "12345678"}), V{"/username"});
  EXPECT_EQ(fields({"ünïcode", "", Role::kViewer, "12345678"}), V{"/username"});
  EXPECT_EQ(fields({"alice", std::string(201, 'n'), Role::kViewer, "12345678"}), V{"/name"});
  EXPECT_EQ(fields({"alice", "", Role::kViewer, "1234567"}), V{"/password"});
  EXPECT_EQ(fields({"alice", "", Role::kViewer, std::string(1025, 'x')}), V{"/password"});
  EXPECT_EQ(fields({"alice", "", Role::kNone, "12345678"}), V{"/role"});
  Status all = auth_.ValidateNewUser({"", std::string(201, 'n'), Role::kNone, ""});
  EXPECT_EQ(all.code(), Code::kInvalidArgument);
  EXPECT_EQ(fields({"", std::string(201, 'n'), Role::kNone, ""}),
            (V{"/username", "/name", "/password", "/role"}));
}

TEST_F(AuthServiceTest, CreateUserStoresItAndAppendsAnEvent) {
  auto u = InWrite([&](store::Tx& tx) {
    return auth_.CreateUser(tx, {"alice", "Alice Doe", Role::kResponder, "long enough"},
                            "$argon2id$fake", admin_);
  });
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_GT(u->id, 0);
  EXPECT_EQ(u->username, "alice");
  EXPECT_EQ(u->name, "Alice Doe");
  EXPECT_EQ(u->role, Role::kResponder);
  EXPECT_EQ(u->created_at, kStart);

  auto found = InRead([&](store::Tx& tx) { return auth_.FindUser(tx, "alice"); });
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, u->id);
  EXPECT_EQ((*found)->role, Role::kResponder);
  auto hash = InRead([&](store::Tx& tx) { return auth_.PasswordHashOf(tx, u->id); });
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(*hash, "$argon2id$fake");

  auto ev = Events("user.created");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].actor.name, "root");
  EXPECT_EQ(ev[0].actor.id, 1);
  EXPECT_EQ(ev[0].incident_id, std::nullopt);
  EXPECT_EQ(ev[0].data,
            (nlohmann::json{{"user_id", u->id}, {"username", "alice"}, {"role", "responder"}}));
  EXPECT_EQ(ev[0].data.dump().find("argon2"), std::string::npos);

  nlohmann::json j = u->ToJson();
  EXPECT_EQ(j["role"], "responder");
  EXPECT_EQ(j["created_at"], "2026-11-25T22:45:41.123Z");
  EXPECT_FALSE(j.contains("password_hash"));
}

TEST_F(AuthServiceTest, NameDefaultsToUsername) {
  User u = MakeUser("bob", Role::kViewer);
  EXPECT_EQ(u.name, "bob");
  auto found = InRead([&](store::Tx& tx) { return auth_.FindUser(tx, "bob"); });
  EXPECT_EQ((*found)->name, "bob");
}

TEST_F(AuthServiceTest, CreateUserRejectsInvalidAndDuplicates) {
  auto bad = InWrite([&](store::Tx& tx) {
    return auth_.CreateUser(tx, {"bad name", "", Role::kViewer, "long enough"}, "h", admin_);
  });
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  MakeUser("alice", Role::kViewer);
  auto dup = InWrite([&](store::Tx& tx) {
    return auth_.CreateUser(tx, {"alice", "Other", Role::kAdmin, "long enough"}, "h", admin_);
  });
  EXPECT_EQ(dup.status().code(), Code::kConflict);
  EXPECT_EQ(Events("user.created").size(), 1u);
  auto count = InRead([&](store::Tx& tx) { return auth_.CountUsers(tx); });
  EXPECT_EQ(*count, 1);
}

TEST_F(AuthServiceTest, FindUnknownUser) {
  auto found = InRead([&](store::Tx& tx) { return auth_.FindUser(tx, "nobody"); });
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  auto hash = InRead([&](store::Tx& tx) { return auth_.PasswordHashOf(tx, 999); });
  EXPECT_EQ(hash.status().code(), Code::kNotFound);
}

TEST_F(AuthServiceTest, ListUsersSortedByUsername) {
  MakeUser("carol", Role::kViewer);
  MakeUser("alice", Role::kAdmin);
  MakeUser("bob", Role::kResponder);
  auto users = InRead([&](store::Tx& tx) { return auth_.ListUsers(tx); });
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[0].username, "alice");
  EXPECT_EQ((*users)[1].username, "bob");
  EXPECT_EQ((*users)[2].username, "carol");
  EXPECT_EQ((*users)[0].role, Role::kAdmin);
}

TEST_F(AuthServiceTest, TokenIsShownOnceAndStoredOnlyHashed) {
  User u = MakeUser("alice", Role::kAdmin);
  auto t = InWrite(
      [&](store::Tx& tx) { return auth_.CreateToken(tx, u.id, "ci", Role::kAdmin, admin_); });
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->token.starts_with("kx_")) << t->token;
  EXPECT_EQ(t->token.size(), 3u + 43u);  // 256 bits in unpadded base64
  EXPECT_EQ(t->name, "ci");
  EXPECT_EQ(t->created_at, kStart);

  auto stored = InRead([&](store::Tx& tx) -> Result<std::vector<store::Row>> {
    return tx.Query("SELECT token_hash, name, role FROM api_tokens WHERE id = ?", {t->id});
  });
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  std::string hash = (*stored)[0].Str(0);
  EXPECT_NE(hash, t->token);
  EXPECT_EQ(hash, HashToken(t->token));
  EXPECT_EQ(hash.find(t->token.substr(3)), std::string::npos);
  EXPECT_EQ((*stored)[0].Str(2), "admin");

  auto ev = Events("token.created");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].data["token_id"], t->id);
  EXPECT_EQ(ev[0].data["name"], "ci");
  EXPECT_EQ(ev[0].data["role"], "admin");
  EXPECT_EQ(ev[0].data["user_id"], u.id);
  EXPECT_EQ(ev[0].data.dump().find(t->token.substr(3)), std::string::npos) << "secret logged";

  auto list = InRead([&](store::Tx& tx) { return auth_.ListTokens(tx); });
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->dump().find(t->token.substr(3)), std::string::npos);
  EXPECT_EQ(list->dump().find(hash), std::string::npos);
}

TEST_F(AuthServiceTest, TwoTokensDiffer) {
  User u = MakeUser("alice", Role::kAdmin);
  auto a = InWrite(
      [&](store::Tx& tx) { return auth_.CreateToken(tx, u.id, "a", Role::kAdmin, admin_); });
  auto b = InWrite(
      [&](store::Tx& tx) { return auth_.CreateToken(tx, u.id, "a", Role::kAdmin, admin_); });
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->token, b->token);
  EXPECT_NE(a->id, b->id);
}

TEST_F(AuthServiceTest, AuthenticateToken) {
  User u = MakeUser("alice", Role::kAdmin);
  auto t = InWrite(
      [&](store::Tx& tx) { return auth_.CreateToken(tx, u.id, "cli", Role::kResponder, admin_); });
  ASSERT_TRUE(t.ok());
  auto p = InRead([&](store::Tx& tx) { return auth_.AuthenticateToken(tx, t->token); });
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->user.id, u.id);
  EXPECT_EQ(p->user.username, "alice");
  EXPECT_EQ(p->role, Role::kResponder);
  EXPECT_EQ(p->token_id, t->id);
  EXPECT_EQ(p->session_id, std::nullopt);
  EXPECT_EQ(p->actor().type, "token");
  EXPECT_EQ(p->actor().id, u.id);
  EXPECT_EQ(p->actor().name, "alice");

  for (std::string bad : {std::string("kx_") + std::string(43, 'A'), t->token.substr(3),
                          t->token + "x", std::string(""), std::string("kx_")}) {
    auto r = InRead([&](store::Tx& tx) { return auth_.AuthenticateToken(tx, bad); });
    EXPECT_EQ(r.status().code(), Code::kUnauthenticated) << bad;
  }
}

TEST_F(AuthServiceTest, RevokedTokenIsRefused) {
  User u = MakeUser("alice", Role::kAdmin);
  auto t = InWrite(
      [&](store::Tx& tx) { return auth_.CreateToken(tx, u.id, "ci", Role::kAdmin, admin_); });
  ASSERT_TRUE(t.ok());
  clock_.Advance(60000);
  Status s = InWrite([&](store::Tx& tx) { return auth_.RevokeToken(tx, t->id, admin_); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto p = InRead([&](store::Tx& tx) { return auth_.AuthenticateToken(tx, t->token); });
  EXPECT_EQ(p.status().code(), Code::kUnauthenticated);

  auto ev = Events("token.revoked");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].data["token_id"], t->id);
  EXPECT_EQ(ev[0].at, kStart + 60000);

  auto list = InRead([&](store::Tx& tx) { return auth_.ListTokens(tx); });
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0]["revoked_at"], "2026-11-25T22:46:41.123Z");
  EXPECT_EQ((*list)[0]["user"], "alice");
  EXPECT_TRUE((*list)[0]["last_used_at"].is_null());

  // Revoking again or an unknown token changes nothing and appends nothing.
  EXPECT_EQ(InWrite([&](store::Tx& tx) { return auth_.RevokeToken(tx, t->id, admin_); }).code(),
            Code::kConflict);
  EXPECT_EQ(InWrite([&](store::Tx& tx) { return auth_.RevokeToken(tx, 999, admin_); }).code(),
            Code::kNotFound);
  EXPECT_EQ(Events("token.revoked").size(), 1u);
}

TEST_F(AuthServiceTest, TokenRoleIsCappedAtTheUsersRole) {
  User viewer = MakeUser("vic", Role::kViewer);
  User admin = MakeUser("ada", Role::kAdmin);
  auto high = InWrite([&](store::Tx& tx) {
    return auth_.CreateToken(tx, viewer.id, "too-high", Role::kAdmin, admin_);
  });
  auto low = InWrite([&](store::Tx& tx) {
    return auth_.CreateToken(tx, admin.id, "read-only", Role::kViewer, admin_);
  });
  ASSERT_TRUE(high.ok() && low.ok());
  auto ph = InRead([&](store::Tx& tx) { return auth_.AuthenticateToken(tx, high->token); });
  auto pl = InRead([&](store::Tx& tx) { return auth_.AuthenticateToken(tx, low->token); });
  ASSERT_TRUE(ph.ok() && pl.ok());
  EXPECT_EQ(ph->role, Role::kViewer);
  EXPECT_EQ(pl->role, Role::kViewer);
  EXPECT_EQ(pl->user.role, Role::kAdmin);
}

TEST_F(AuthServiceTest, SessionLifecycle) {
  User u = MakeUser("alice", Role::kResponder);
  auto s = InWrite([&](store::Tx& tx) { return auth_.CreateSession(tx, u); });
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->expires_at, kStart + kTtlMs);
  EXPECT_GE(s->secret.size(), 43u);
  EXPECT_FALSE(s->csrf_token.empty());
  EXPECT_NE(s->secret, s->csrf_token);

  auto stored = InRead([&](store::Tx& tx) -> Result<std::vector<store::Row>> {
    return tx.Query("SELECT token_hash FROM sessions");
  });
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].Str(0), HashToken(s->secret)) << "session secret stored only hashed";

  auto p = InRead([&](store::Tx& tx) { return auth_.AuthenticateSession(tx, s->secret); });
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->user.id, u.id);
  EXPECT_EQ(p->role, Role::kResponder);
  EXPECT_EQ(p->csrf_token, s->csrf_token);
  EXPECT_TRUE(p->session_id.has_value());
  EXPECT_EQ(p->token_id, std::nullopt);
  EXPECT_EQ(p->actor().type, "user");

  auto ev = Events("session.created");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].actor.id, u.id);
  EXPECT_EQ(ev[0].data["user_id"], u.id);
  EXPECT_EQ(ev[0].data.dump().find(s->secret), std::string::npos);

  Status end = InWrite([&](store::Tx& tx) { return auth_.EndSession(tx, *p->session_id); });
  ASSERT_TRUE(end.ok());
  auto after = InRead([&](store::Tx& tx) { return auth_.AuthenticateSession(tx, s->secret); });
  EXPECT_EQ(after.status().code(), Code::kUnauthenticated);
}

TEST_F(AuthServiceTest, SessionExpiresAfterTheTtl) {
  User u = MakeUser("alice", Role::kViewer);
  auto s = InWrite([&](store::Tx& tx) { return auth_.CreateSession(tx, u); });
  ASSERT_TRUE(s.ok());
  auto check = [&] {
    return InRead([&](store::Tx& tx) { return auth_.AuthenticateSession(tx, s->secret); });
  };
  clock_.Advance(kTtlMs - 1);
  EXPECT_TRUE(check().ok()) << "still valid 1 ms before the end";
  clock_.Advance(1);
  EXPECT_EQ(check().status().code(), Code::kUnauthenticated);
  clock_.Advance(3600 * 1000);
  EXPECT_EQ(check().status().code(), Code::kUnauthenticated);
}

TEST_F(AuthServiceTest, UnknownSessionCookie) {
  for (std::string bad : {std::string(""), std::string("garbage"), RandomToken(32)}) {
    auto p = InRead([&](store::Tx& tx) { return auth_.AuthenticateSession(tx, bad); });
    EXPECT_EQ(p.status().code(), Code::kUnauthenticated) << bad;
  }
}

TEST_F(AuthServiceTest, SetPasswordEndsSessionsAndAppendsAnEvent) {
  User alice = MakeUser("alice", Role::kViewer);
  User bob = MakeUser("bob", Role::kViewer);
  auto s1 = InWrite([&](store::Tx& tx) { return auth_.CreateSession(tx, alice); });
  auto s2 = InWrite([&](store::Tx& tx) { return auth_.CreateSession(tx, alice); });
  auto sb = InWrite([&](store::Tx& tx) { return auth_.CreateSession(tx, bob); });
  ASSERT_TRUE(s1.ok() && s2.ok() && sb.ok());

  Status st =
      InWrite([&](store::Tx& tx) { return auth_.SetPassword(tx, alice.id, "$new$hash", admin_); });
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto hash = InRead([&](store::Tx& tx) { return auth_.PasswordHashOf(tx, alice.id); });
  EXPECT_EQ(*hash, "$new$hash");
  for (const auto& s : {*s1, *s2}) {
    auto p = InRead([&](store::Tx& tx) { return auth_.AuthenticateSession(tx, s.secret); });
    EXPECT_EQ(p.status().code(), Code::kUnauthenticated);
  }
  auto pb = InRead([&](store::Tx& tx) { return auth_.AuthenticateSession(tx, sb->secret); });
  EXPECT_TRUE(pb.ok()) << "another user's session is untouched";

  auto ev = Events("user.password_reset");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].data["user_id"], alice.id);
  EXPECT_EQ(ev[0].actor.name, "root");
  EXPECT_EQ(ev[0].data.dump().find("new$hash"), std::string::npos);
}

// BUG (latent): SetPassword does not check that the user exists: the UPDATE matches no
// row, the call returns Ok and appends user.password_reset for a user that does not exist.
// Today's only caller (`klaxon admin reset-password`) looks the user up first.
TEST_F(AuthServiceTest, SetPasswordOfUnknownUserIsNotFound) {
  Status st = InWrite([&](store::Tx& tx) { return auth_.SetPassword(tx, 999, "$h", admin_); });
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_TRUE(Events("user.password_reset").empty());
}

TEST_F(AuthServiceTest, CommandThatFailsAfterAuthCallsAppendsNoEvents) {
  std::vector<std::string> published;
  bus_.Subscribe([&](const events::Event& e) { published.push_back(e.kind); });
  Status s = store_->Write([&](store::Tx& tx) {
    auto u = auth_.CreateUser(tx, {"eve", "", Role::kViewer, "long enough"}, "h", admin_);
    if (!u.ok()) return u.status();
    auto t = auth_.CreateToken(tx, u->id, "t", Role::kViewer, admin_);
    if (!t.ok()) return t.status();
    return Internal("later step failed");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(published.empty());
  EXPECT_TRUE(Events("user.created").empty());
  EXPECT_TRUE(Events("token.created").empty());
  auto count = InRead([&](store::Tx& tx) { return auth_.CountUsers(tx); });
  EXPECT_EQ(*count, 0);
}

}  // namespace
}  // namespace klaxon::auth
