#include "apply/apply.h"

#include <gtest/gtest.h>

namespace klaxon::apply {
namespace {

using nlohmann::json;
using playbook::Change;
using playbook::ChangeType;

TEST(ApplyMergeStored, ReplacesAppendsAndDropsDeleted) {
  json current = {{"organization", {{"name", "Old"}}},
                  {"services", {{{"name", "a"}, {"d", 1}}, {{"name", "b"}, {"d", 1}}}},
                  {"roles", {{{"name", "x"}}}}};
  json desired = {{"services", {{{"name", "c"}, {"d", 3}}, {{"name", "a"}, {"d", 2}}}}};
  std::vector<Change> changes;
  changes.push_back({ChangeType::kDelete, "services", "b", {}, json(), json()});
  json merged = MergeStored(current, desired, changes);
  EXPECT_EQ(merged["organization"]["name"], "Old");  // not in desired: kept
  EXPECT_EQ(merged["roles"], current["roles"]);      // unmanaged kind: kept
  // Current order, replaced in place; new ones after; deleted ones gone.
  EXPECT_EQ(merged["services"], json({{{"name", "a"}, {"d", 2}}, {{"name", "c"}, {"d", 3}}}));
}

TEST(ApplyMergeStored, UsersByUsernameAndEmptyKindsLeftOut) {
  json current = {{"users", {{{"username", "ann"}, {"role", "viewer"}}}}};
  json desired = {{"organization", {{"name", "New"}}},
                  {"users", {{{"username", "ann"}, {"role", "admin"}}}}};
  std::vector<Change> changes;
  changes.push_back({ChangeType::kDelete, "users", "nobody", {}, json(), json()});
  json merged = MergeStored(current, desired, changes);
  EXPECT_EQ(merged["organization"]["name"], "New");
  EXPECT_EQ(merged["users"], json({{{"username", "ann"}, {"role", "admin"}}}));
  EXPECT_FALSE(merged.contains("services"));
  json empty = MergeStored(json::object(), json::object(), {});
  EXPECT_EQ(empty, json::object());
}

TEST(ApplyCountChanges, CountsPerKind) {
  std::vector<Change> changes = {
      {ChangeType::kCreate, "services", "a", {}, json(), json()},
      {ChangeType::kCreate, "services", "b", {}, json(), json()},
      {ChangeType::kUpdate, "users", "ann", {}, json(), json()},
      {ChangeType::kUnchanged, "roles", "x", {}, json(), json()},
      {ChangeType::kDelete, "templates", "t", {}, json(), json()},
  };
  auto counts = CountChanges(changes);
  EXPECT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts["services"].created, 2);
  EXPECT_EQ(counts["users"].updated, 1);
  EXPECT_EQ(counts["templates"].deleted, 1);
  EXPECT_FALSE(counts.contains("roles"));
}

TEST(ApplyChangeToJson, TypeKindNameAndFields) {
  Change c{
      ChangeType::kUpdate, "severities", "SEV-1", {{"ack_target", "10m", "15m"}}, json(), json()};
  EXPECT_EQ(ChangeToJson(c),
            json({{"type", "update"},
                  {"kind", "severities"},
                  {"name", "SEV-1"},
                  {"fields", {{{"path", "ack_target"}, {"old", "10m"}, {"new", "15m"}}}}}));
  Change d{ChangeType::kDelete, "runbooks", "old", {}, json(), json()};
  EXPECT_EQ(ChangeToJson(d)["type"], "delete");
}

TEST(ApplyPrune, UsersOnlyWhenAnEarlierApplyNamedThem) {
  std::set<std::string> named = {"bob"};
  Change bob{ChangeType::kDelete, "users", "bob", {}, json(), json()};
  Change admin{ChangeType::kDelete, "users", "admin", {}, json(), json()};
  Change service{ChangeType::kDelete, "services", "legacy", {}, json(), json()};
  Change create{ChangeType::kCreate, "users", "carol", {}, json(), json()};
  EXPECT_TRUE(Prunable(bob, named));
  EXPECT_FALSE(Prunable(admin, named));  // made by hand (the first admin): never pruned
  EXPECT_FALSE(Prunable(bob, {}));
  EXPECT_TRUE(Prunable(service, {}));
  EXPECT_TRUE(Prunable(create, {}));
}

}  // namespace
}  // namespace klaxon::apply
