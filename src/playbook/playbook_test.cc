#include "playbook/playbook.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace klaxon::playbook {
namespace {

using json = nlohmann::json;

const std::string kExamples = std::string(KLAXON_SOURCE_DIR) + "/examples/";

// A scratch directory removed with the test.
class PlaybookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("klaxon-playbook-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

std::string Dump(const std::vector<Problem>& problems) {
  std::string s;
  for (const auto& p : problems) s += p.ToString() + "\n";
  return s;
}

// The problem about `key`, or nullptr.
const Problem* Find(const std::vector<Problem>& problems, const std::string& key) {
  for (const auto& p : problems)
    if (p.key == key) return &p;
  return nullptr;
}

LoadResult LoadText(const std::string& text, const std::string& name = "t.yaml") {
  return LoadSources({{name, text}});
}

// --- the examples ----------------------------------------------------------------------

class PlaybookExampleTest : public PlaybookTest,
                            public ::testing::WithParamInterface<const char*> {};

TEST_P(PlaybookExampleTest, LoadsWithoutProblems) {
  LoadResult r = LoadFiles({kExamples + GetParam()});
  ASSERT_TRUE(r.ok()) << Dump(r.problems);
  const Document& d = r.doc;
  ASSERT_TRUE(d.organization.has_value());
  EXPECT_EQ(d.severities.size(), 4u);
  for (size_t i = 0; i < d.severities.size(); ++i) EXPECT_EQ(d.severities[i].rank, int(i) + 1);
  EXPECT_FALSE(d.services.empty());
  EXPECT_FALSE(d.users.empty());
  for (const auto& u : d.users) {
    bool email = false;
    for (const auto& m : u.contact_methods) email |= m.kind == "email";
    EXPECT_TRUE(email) << u.name;
  }
  EXPECT_FALSE(d.teams.empty());
  EXPECT_FALSE(d.schedules.empty());
  EXPECT_FALSE(d.escalation_policies.empty());
  EXPECT_FALSE(d.integrations.empty());
  EXPECT_GE(d.roles.size(), 3u);
  ASSERT_FALSE(d.runbooks.empty());
  EXPECT_FALSE(d.runbooks[0].steps.empty());
  EXPECT_TRUE(d.runbooks[0].rto.has_value());
  ASSERT_FALSE(d.actions.empty());
  bool secret = false;
  for (const auto& a : d.actions)
    for (const auto& e : a.env) secret |= e == "ROLLBACK_TOKEN";
  EXPECT_TRUE(secret);
  EXPECT_FALSE(d.automation_rules.empty());
  bool numeric = false;
  for (const auto& c : d.classification_rules) numeric |= !c.conditions.empty();
  EXPECT_TRUE(numeric);
  EXPECT_FALSE(d.templates.empty());
  EXPECT_FALSE(d.status_components.empty());
  EXPECT_FALSE(d.organization->business_calendar.holidays.empty());
}

TEST_P(PlaybookExampleTest, RoundTripsThroughYaml) {
  auto first = LoadPaths({kExamples + GetParam()});
  ASSERT_TRUE(first.ok()) << first.status().message();
  json canonical = ToJson(*first);
  std::string yaml = ToYaml(*first);
  std::string path = Write("export.yaml", yaml);
  auto second = LoadPaths({path});
  ASSERT_TRUE(second.ok()) << second.status().message() << "\n" << yaml;
  EXPECT_EQ(ToJson(*second), canonical);
  EXPECT_EQ(ToYaml(*second), yaml);  // export is a fixed point
  EXPECT_FALSE(HasChanges(Diff(canonical, ToJson(*second), true)));
}

TEST_P(PlaybookExampleTest, RoundTripsThroughJson) {
  auto first = LoadPaths({kExamples + GetParam()});
  ASSERT_TRUE(first.ok()) << first.status().message();
  json canonical = ToJson(*first);
  auto second = FromJson(json::parse(canonical.dump()));
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(ToJson(*second), canonical);
}

INSTANTIATE_TEST_SUITE_P(Playbook, PlaybookExampleTest,
                         ::testing::Values("sev-levels", "priority", "levels"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

constexpr DurationMs kMin = 60000;

TEST_F(PlaybookTest, SevLevelsExampleHasTheShapeTheIssueAsksFor) {
  auto d = LoadPaths({kExamples + "sev-levels"});
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->severities.size(), 4u);
  EXPECT_EQ(d->severities[0].name, "SEV-0");
  EXPECT_EQ(d->severities[3].name, "SEV-3");
  EXPECT_EQ(d->severities[0].ack_target, 15 * kMin);
  std::vector<bool> notice;
  for (const auto& s : d->severities) notice.push_back(s.customer_notice);
  EXPECT_EQ(notice, (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(d->severities[3].page, PageMode::kNever);
  EXPECT_TRUE(d->severities[3].update_at_milestones);
  EXPECT_EQ(d->severities[1].review.deadline_business_days, 5);
  EXPECT_EQ(d->organization->time_zone, "America/New_York");
  EXPECT_EQ(d->organization->business_calendar.time_zone, "America/New_York");
  EXPECT_EQ(d->organization->business_calendar.working_days, (std::vector<int>{1, 2, 3, 4, 5}));
  // The location of each entity is kept.
  EXPECT_EQ(d->severities[1].at.file, kExamples + "sev-levels/20-severities.yaml");
  EXPECT_GT(d->severities[1].at.line, 1);
}

TEST_F(PlaybookTest, PriorityExampleHasTheShapeTheIssueAsksFor) {
  auto d = LoadPaths({kExamples + "priority/playbook.yaml"});
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->severities.size(), 4u);
  std::vector<DurationMs> resolve;
  for (const auto& s : d->severities) resolve.push_back(s.resolve_target.value_or(0));
  EXPECT_EQ(resolve,
            (std::vector<DurationMs>{60 * kMin, 240 * kMin, 1440 * kMin, 7 * 1440 * kMin}));
  EXPECT_EQ(d->severities[0].update_every, 15 * kMin);
  EXPECT_EQ(d->severities[1].update_every, 30 * kMin);
  const auto& matrix = d->severities[0].escalation_matrix;
  ASSERT_EQ(matrix.size(), 3u);
  EXPECT_EQ(matrix[0].after, 30 * kMin);
  EXPECT_EQ(matrix[1].after, 60 * kMin);
  EXPECT_EQ(matrix[2].after, 120 * kMin);
  EXPECT_EQ(matrix[2].notify, (std::vector<Target>{{"user", "ivan"}}));
  EXPECT_EQ(d->severities[0].review.deadline, 48 * 60 * kMin);
  EXPECT_EQ(d->severities[2].page, PageMode::kBusinessHours);
  ASSERT_EQ(d->integrations.size(), 3u);
  EXPECT_EQ(d->integrations[2].mapping["title"], "/summary");
  EXPECT_EQ(d->integrations[2].mapping["labels"], "/labels");  // default filled in
  EXPECT_EQ(d->automation_rules[0].condition, (Condition{"annotation", "decline_ratio", ">", 0.2}));
}

TEST_F(PlaybookTest, LevelsExampleHasTheShapeTheIssueAsksFor) {
  auto d = LoadPaths({kExamples + "levels"});
  ASSERT_TRUE(d.ok()) << d.status().message();
  std::vector<DurationMs> cadence;
  for (const auto& s : d->severities) cadence.push_back(s.update_every.value_or(0));
  EXPECT_EQ(cadence, (std::vector<DurationMs>{10 * kMin, 15 * kMin, 60 * kMin, 0}));
  const Schedule& ops = d->schedules[0];
  ASSERT_EQ(ops.layers.size(), 2u);
  // Business hours: five windows 08:00-18:00; nights: Mon-Thu 18:00+14h and Fri 18:00+62h.
  ASSERT_EQ(ops.layers[0].restrictions.size(), 5u);
  EXPECT_EQ(ops.layers[0].restrictions[0].weekday, 1);
  EXPECT_EQ(ops.layers[0].restrictions[0].start_minute, 8 * 60);
  EXPECT_EQ(ops.layers[0].restrictions[0].duration_minutes, 600);
  ASSERT_EQ(ops.layers[1].restrictions.size(), 5u);
  EXPECT_EQ(ops.layers[1].restrictions[0].duration_minutes, 14 * 60);
  EXPECT_EQ(ops.layers[1].restrictions[4].weekday, 5);
  EXPECT_EQ(ops.layers[1].restrictions[4].duration_minutes, 62 * 60);
  EXPECT_EQ(ops.json["layers"][1]["restrictions"][0],
            json({{"weekday", "mon"}, {"start", "18:00"}, {"duration_minutes", 840}}));
}

// --- errors ----------------------------------------------------------------------------

TEST_F(PlaybookTest, SyntaxErrorNamesItsLine) {
  LoadResult r = LoadText("services:\n  - name: a\n    description: [unclosed\n  - name: b\n");
  ASSERT_EQ(r.problems.size(), 1u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].file, "t.yaml");
  EXPECT_GE(r.problems[0].line, 3);
  EXPECT_NE(r.problems[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_FALSE(LoadPaths({Write("bad.yaml", "a: [\n")}).ok());
}

TEST_F(PlaybookTest, UnknownKeyNamesLineAndPath) {
  LoadResult r = LoadText(
      "severities:\n"
      "  - name: SEV-1\n"
      "  - name: SEV-2\n"
      "    ack_targt: 15m\n");
  ASSERT_EQ(r.problems.size(), 1u) << Dump(r.problems);
  const Problem& p = r.problems[0];
  EXPECT_EQ(p.key, "severities[1].ack_targt");
  EXPECT_EQ(p.line, 4);
  EXPECT_EQ(p.column, 5);
  EXPECT_EQ(p.message, "unknown key (did you mean ack_target?)");
  EXPECT_EQ(p.ToString(),
            "t.yaml:4: severities[1].ack_targt: unknown key (did you mean ack_target?)");

  r = LoadText("servics:\n  - name: a\n");
  ASSERT_EQ(r.problems.size(), 1u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].key, "servics");
  EXPECT_EQ(r.problems[0].message, "unknown key (did you mean services?)");
}

TEST_F(PlaybookTest, WrongTypesAreErrors) {
  LoadResult r = LoadText(
      "services:\n"
      "  - name: [a, b]\n"  // 2: list for a string
      "escalation_policies:\n"
      "  - name: p\n"
      "    repeat: \"2\"\n"   // 5: quoted integer
      "    default: maybe\n"  // 6: not a boolean
      "    steps:\n"
      "      - delay_minutes: 5\n"
      "        targets: user:alice\n"  // 9: a string for a list
      "users: {username: x}\n");       // 10: a mapping for a list
  EXPECT_EQ(r.problems.size(), 5u) << Dump(r.problems);
  const Problem* p = Find(r.problems, "services[0].name");
  ASSERT_NE(p, nullptr) << Dump(r.problems);
  EXPECT_EQ(p->line, 2);
  EXPECT_EQ(p->message, "must be a single value, not a list");
  p = Find(r.problems, "escalation_policies[0].repeat");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->message, "must be an integer 0-9");
  p = Find(r.problems, "escalation_policies[0].default");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->line, 6);
  EXPECT_EQ(p->message, "must be true or false");
  p = Find(r.problems, "escalation_policies[0].steps[0].targets");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->message, "must be a list");
  p = Find(r.problems, "users");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->line, 10);
}

TEST_F(PlaybookTest, BadDurationsAreErrors) {
  LoadResult r = LoadText(
      "severities:\n"
      "  - name: S\n"
      "    ack_target: 15 minutes\n"
      "    resolve_target: 15\n"
      "    update_every: 30s\n"
      "    review: {deadline: 5 weekdays}\n");
  ASSERT_EQ(r.problems.size(), 4u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].key, "severities[0].ack_target");
  EXPECT_EQ(r.problems[0].line, 3);
  EXPECT_EQ(r.problems[0].message,
            "must be a duration like 90s, 15m, 1h30m, 2d or 1w, not \"15 minutes\"");
  EXPECT_EQ(r.problems[1].key, "severities[0].resolve_target");
  EXPECT_EQ(r.problems[2].key, "severities[0].update_every");
  EXPECT_EQ(r.problems[2].message, "must be at least 1m");
  EXPECT_EQ(r.problems[3].key, "severities[0].review.deadline");
}

TEST_F(PlaybookTest, BadTimeZonesAreErrors) {
  LoadResult r = LoadText(
      "organization:\n"
      "  name: Acme\n"
      "  time_zone: Mars/Olympus_Mons\n"
      "  business_calendar: {time_zone: Europe/Berlin}\n"
      "schedules:\n"
      "  - name: s\n"
      "    time_zone: EST5EDTX\n"
      "    layers: [{name: l, users: [a], start_date: \"2026-11-02\"}]\n");
  ASSERT_EQ(r.problems.size(), 2u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].key, "organization.time_zone");
  EXPECT_EQ(r.problems[0].line, 3);
  EXPECT_EQ(r.problems[0].message,
            "unknown time zone \"Mars/Olympus_Mons\" (use an IANA name like Europe/Berlin)");
  EXPECT_EQ(r.problems[1].key, "schedules[0].time_zone");
  EXPECT_EQ(r.problems[1].line, 7);
}

TEST_F(PlaybookTest, DuplicateNamesAcrossFilesNameBothPlaces) {
  std::string a = Write("a.yaml", "services:\n  - name: checkout\n  - name: search\n");
  std::string b = Write("b.yaml", "# more\nservices:\n  - name: billing\n  - name: checkout\n");
  LoadResult r = LoadFiles({dir_.string()});
  ASSERT_EQ(r.problems.size(), 1u) << Dump(r.problems);
  const Problem& p = r.problems[0];
  EXPECT_EQ(p.file, b);
  EXPECT_EQ(p.line, 4);
  EXPECT_EQ(p.key, "services[1].name");
  EXPECT_EQ(p.message, "duplicate service \"checkout\" (first defined at " + a + ":2)");
  // Also within one file, and for the organization.
  r = LoadText("organization: {name: A}\n---\norganization: {name: B}\n");
  ASSERT_EQ(r.problems.size(), 1u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].line, 3);
  EXPECT_EQ(r.problems[0].message, "organization is given twice (first at t.yaml:1)");
}

TEST_F(PlaybookTest, DanglingReferencesIntoManagedKindsAreErrors) {
  LoadResult r = LoadText(
      "escalation_policies:\n"
      "  - name: main\n"
      "    steps: [{delay_minutes: 5, targets: [user:alice, schedule:primary]}]\n"
      "severities:\n"
      "  - name: SEV-1\n"
      "    escalation_policy: mian\n"
      "    required_roles: [commander]\n");
  // escalation_policies is managed by the file, so "mian" must exist; users, schedules and
  // roles are not, so alice, primary and commander are left for the server.
  ASSERT_EQ(r.problems.size(), 1u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].key, "severities[0].escalation_policy");
  EXPECT_EQ(r.problems[0].line, 6);
  EXPECT_EQ(r.problems[0].message, "no escalation policy named \"mian\" in the playbook");

  r = LoadText(
      "users: [{username: bob, contact_methods: [{kind: email, address: bob@x.example}]}]\n"
      "escalation_policies:\n"
      "  - name: main\n"
      "    steps: [{delay_minutes: 5, targets: [user:alice]}]\n"
      "classification_rules: [{name: r, severity: SEV-9}]\n");
  ASSERT_EQ(r.problems.size(), 1u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].key, "escalation_policies[0].steps[0].targets[0]");
  EXPECT_EQ(r.problems[0].message, "no user named \"alice\" in the playbook");
}

TEST_F(PlaybookTest, CollectsEveryProblemInOrder) {
  LoadResult r = LoadText(
      "services:\n"
      "  - name: a\n"
      "    colour: red\n"           // 3 unknown key
      "  - description: no name\n"  // 4 name missing
      "actions:\n"
      "  - name: rollback\n"
      "    method: YEET\n"                             // 7 bad enum
      "    url: ftp://x\n"                             // 8 not http
      "    headers: {Authorization: Bearer abc123}\n"  // 9 secret in clear
      "    timeout: 1h\n");                            // 10 too long
  std::string all = Dump(r.problems);
  ASSERT_EQ(r.problems.size(), 6u) << all;
  std::vector<int> lines;
  for (const auto& p : r.problems) lines.push_back(p.line);
  EXPECT_EQ(lines, (std::vector<int>{3, 4, 7, 8, 9, 10}));
  EXPECT_EQ(r.problems[1].key, "services[1].name");
  EXPECT_EQ(r.problems[1].message, "is required");
  EXPECT_EQ(r.problems[4].key, "actions[0].headers.Authorization");
  Status st = r.status();
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.message(), all.substr(0, all.size() - 1));
  ASSERT_EQ(st.fields().size(), 6u);
  EXPECT_EQ(st.fields()[0].field, "t.yaml:3:services[0].colour");
  std::string path = Write("x.yaml", "services:\n  - name: a\n    colour: red\n");
  auto res = LoadPaths({path});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(), path +
                                        ":3: services[0].colour: unknown key (expected name, "
                                        "description, owner, escalation_policy)");
}

TEST_F(PlaybookTest, SeverityRankFollowsTheOrderAcrossFiles) {
  Write("1.yaml", "severities: [{name: A}, {name: B, rank: 2}]\n");
  Write("2.yaml", "severities: [{name: C, rank: 2}]\n");
  LoadResult r = LoadFiles({dir_.string()});
  ASSERT_EQ(r.problems.size(), 1u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].key, "severities[0].rank");
  EXPECT_EQ(r.problems[0].message,
            "is 2 but the level is number 3 in the list (rank follows the order)");
}

TEST_F(PlaybookTest, DirectoriesLoadTheirYamlFilesInNameOrder) {
  Write("b.yml", "severities: [{name: B}]\n");
  Write("a.yaml", "severities: [{name: A}]\n");
  Write("c.txt", "not: [yaml\n");
  Write("d.yaml.bak", "severities: [{name: D}]\n");
  LoadResult r = LoadFiles({dir_.string() + "/"});
  ASSERT_TRUE(r.ok()) << Dump(r.problems);
  ASSERT_EQ(r.doc.severities.size(), 2u);
  EXPECT_EQ(r.doc.severities[0].name, "A");
  EXPECT_EQ(r.doc.severities[1].name, "B");
  EXPECT_EQ(r.doc.severities[1].rank, 2);
  EXPECT_EQ(r.doc.severities[1].at.file, (dir_ / "b.yml").string());
}

TEST_F(PlaybookTest, ReviewDeadlinesTakeHoursOrBusinessDays) {
  LoadResult r = LoadText(
      "severities:\n"
      "  - {name: A, review: {deadline: 1 business day}}\n"
      "  - {name: B, review: {required: false, deadline: 2880m}}\n"
      "  - {name: C, review: {deadline: 0 business days}}\n");
  ASSERT_EQ(r.problems.size(), 1u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].key, "severities[2].review.deadline");
  r = LoadText(
      "severities:\n"
      "  - {name: A, review: {deadline: 1 business day}}\n"
      "  - {name: B, review: {required: false, deadline: 2880m}}\n");
  ASSERT_TRUE(r.ok()) << Dump(r.problems);
  EXPECT_EQ(r.doc.severities[0].json["review"],
            json::parse(R"({"required": true, "deadline": "1 business day"})"));
  EXPECT_EQ(r.doc.severities[0].review.deadline_business_days, 1);
  EXPECT_FALSE(r.doc.severities[0].review.deadline.has_value());
  EXPECT_EQ(r.doc.severities[1].json["review"]["deadline"], "2d");
  EXPECT_EQ(r.doc.severities[1].review.deadline, 2 * 86400000LL);
  EXPECT_FALSE(r.doc.severities[1].review.required);
}

TEST_F(PlaybookTest, MissingPathsAreProblems) {
  LoadResult r = LoadFiles({(dir_ / "nope.yaml").string(), dir_.string()});
  ASSERT_EQ(r.problems.size(), 2u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].message, "no such file or directory");
  EXPECT_EQ(r.problems[1].message, "the directory has no .yaml or .yml files");
}

TEST_F(PlaybookTest, ActionSecretsComeFromTheEnvironment) {
  LoadResult r = LoadText(
      "actions:\n"
      "  - name: a\n"
      "    url: https://${HOST}/x\n"
      "    headers: {X-Api-Key: \"${KEY}\", Authorization: \"Bearer ${lower}\"}\n"
      "    body: '{\"t\": \"${TOKEN}\"}'\n");
  ASSERT_EQ(r.problems.size(), 1u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].key, "actions[0].headers.Authorization");
  r = LoadText(
      "actions:\n"
      "  - name: a\n"
      "    url: https://${HOST}/x\n"
      "    headers: {X-Api-Key: \"${KEY}\"}\n"
      "    body: '{\"t\": \"${TOKEN}\", \"ref\": \"{{ref}}\"}'\n");
  ASSERT_TRUE(r.ok()) << Dump(r.problems);
  const Action& a = r.doc.actions[0];
  EXPECT_EQ(a.env, (std::vector<std::string>{"HOST", "KEY", "TOKEN"}));
  EXPECT_EQ(a.method, "POST");
  EXPECT_EQ(a.timeout, 10000);
  EXPECT_TRUE(a.expect_status.empty());
}

TEST_F(PlaybookTest, MatchersAndConditionsHaveOneCanonicalForm) {
  LoadResult r = LoadText(
      "severities: [{name: S}]\n"
      "classification_rules:\n"
      "  - name: a\n"
      "    match: {service: checkout}\n"
      "    value: \"> 0.1\"\n"
      "    severity: S\n"
      "  - name: b\n"
      "    match: ['service=checkout', 'env !~ \"dev|test\"', {name: team, op: \"!=\", value: x}]\n"
      "    conditions: [{label: code, op: \">=\", value: 500}]\n"
      "    severity: S\n"
      "  - name: c\n"
      "    match: [job=~\"(unclosed\"]\n"
      "    value: \">> 3\"\n"
      "    severity: S\n");
  ASSERT_EQ(r.problems.size(), 2u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].key, "classification_rules[2].match[0]");
  EXPECT_EQ(r.problems[1].key, "classification_rules[2].value");
  r = LoadText(
      "severities: [{name: S}]\n"
      "classification_rules:\n"
      "  - name: a\n"
      "    match: {service: checkout}\n"
      "    value: \"> 0.1\"\n"
      "    severity: S\n"
      "  - name: b\n"
      "    match: ['service=checkout', 'env !~ \"dev|test\"', {name: team, op: \"!=\", value: x}]\n"
      "    conditions: [{label: code, op: \">=\", value: 500}]\n"
      "    severity: S\n");
  ASSERT_TRUE(r.ok()) << Dump(r.problems);
  const json& a = r.doc.classification_rules[0].json;
  EXPECT_EQ(a["match"], json::parse(R"([{"name":"service","op":"=","value":"checkout"}])"));
  EXPECT_EQ(a["conditions"], json::parse(R"([{"annotation":"value","op":">","value":0.1}])"));
  const json& b = r.doc.classification_rules[1].json;
  EXPECT_EQ(b["match"][0], a["match"][0]);
  EXPECT_EQ(b["match"][1], json::parse(R"({"name":"env","op":"!~","value":"dev|test"})"));
  EXPECT_EQ(b["match"][2], json::parse(R"({"name":"team","op":"!=","value":"x"})"));
  EXPECT_EQ(r.doc.classification_rules[1].conditions[0], (Condition{"label", "code", ">=", 500}));
}

TEST_F(PlaybookTest, CanonicalJsonFillsDefaults) {
  LoadResult r = LoadText(
      "services: [{name: checkout}]\n"
      "severities: [{name: S, ack_target: 90s, update_every: 60m}]\n");
  ASSERT_TRUE(r.ok()) << Dump(r.problems);
  EXPECT_EQ(ToJson(r.doc), json::parse(R"({
    "services": [{"name": "checkout", "description": "", "owner": null,
                  "escalation_policy": null}],
    "severities": [{"name": "S", "rank": 1, "description": "", "examples": [],
                    "ack_target": "1m30s", "resolve_target": null, "update_every": "1h",
                    "escalation_policy": null, "required_roles": [], "status_page": false,
                    "customer_notice": false, "war_room": false, "page": "always",
                    "review": {"required": false, "deadline": null},
                    "stakeholders": [], "escalation_matrix": []}]})"));
  EXPECT_EQ(r.doc.severities[0].ack_target, 90000);
}

TEST_F(PlaybookTest, AwkwardStringsRoundTrip) {
  Document d;
  LoadResult r = LoadText(
      "services:\n"
      "  - name: \"null\"\n"
      "    description: \"  leading spaces\\ttab\\nand a line with trailing space \\n\"\n"
      "  - name: \"yes\"\n"
      "    description: |\n"
      "      # a heading\n"
      "      - a list: item\n"
      "  - name: \"0x10\"\n"
      "    description: \"'quotes' and \\\"double\\\" & *stars* {{x}} > y #z\"\n"
      "  - name: \"~\"\n"
      "    description: \"line\\n\\n\"\n"
      "severities:\n"
      "  - name: S\n"
      "    examples: [\"a, b\", \"[x]\", \"null\", \"- y\", \"#z\", \"{{x}}\", \"k: v\", \"\", "
      "\"'\", "
      "\"\\\"\", \"x # y\", \"tab\\there\", \"multi\\nline\\n\"]\n");
  ASSERT_TRUE(r.ok()) << Dump(r.problems);
  std::string yaml = ToYaml(r.doc);
  LoadResult again = LoadText(yaml, "export.yaml");
  ASSERT_TRUE(again.ok()) << Dump(again.problems) << yaml;
  EXPECT_EQ(ToJson(again.doc), ToJson(r.doc)) << yaml;
  EXPECT_EQ(r.doc.services[0].name, "null");
}

TEST_F(PlaybookTest, EmptyAndCommentOnlyFilesAreFine) {
  LoadResult r = LoadText("# nothing yet\n---\n---\nservices: []\n");
  ASSERT_TRUE(r.ok()) << Dump(r.problems);
  EXPECT_EQ(ToJson(r.doc), json::object());
}

TEST_F(PlaybookTest, JsonInputIsValidatedLikeYaml) {
  LoadResult r = LoadJson(json::parse(R"({"services": [{"name": "a", "owner": 5}],
                                          "severities": [{"name": "S", "war_room": "true"}]})"));
  ASSERT_EQ(r.problems.size(), 1u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].file, "<json>");
  EXPECT_EQ(r.problems[0].key, "severities[0].war_room");
  EXPECT_FALSE(FromJson(json::array()).ok());
}

TEST_F(PlaybookTest, ParsesAndFormatsDurations) {
  EXPECT_EQ(ParseDuration("90s"), 90000);
  EXPECT_EQ(ParseDuration("15m"), 900000);
  EXPECT_EQ(ParseDuration("1h"), 3600000);
  EXPECT_EQ(ParseDuration("1h30m"), 5400000);
  EXPECT_EQ(ParseDuration("2d"), 2 * 86400000);
  EXPECT_EQ(ParseDuration("1w"), 7 * 86400000LL);
  EXPECT_EQ(ParseDuration("250ms"), 250);
  EXPECT_EQ(ParseDuration("0s"), 0);
  for (const char* bad :
       {"", "15", "m", "1h 30m", "30m1h", "1m1m", "1.5h", "-1m", "1y", "15M", "99999999999w"})
    EXPECT_EQ(ParseDuration(bad), std::nullopt) << bad;
  EXPECT_EQ(FormatDuration(90000), "1m30s");
  EXPECT_EQ(FormatDuration(3600000), "1h");
  EXPECT_EQ(FormatDuration(8 * 86400000LL + 1), "1w1d1ms");
  EXPECT_EQ(FormatDuration(0), "0s");
}

TEST_F(PlaybookTest, ChecksMustacheSyntax) {
  EXPECT_EQ(CheckMustache("{{ref}} {{{link}}} {{#a}}{{.}}{{/a}}{{^b}}-{{/b}}{{! note }}"), "");
  EXPECT_NE(CheckMustache("{{ref"), "");
  EXPECT_NE(CheckMustache("{{#a}}x"), "");
  EXPECT_NE(CheckMustache("{{#a}}x{{/b}}"), "");
  EXPECT_NE(CheckMustache("{{> partial}}"), "");
  LoadResult r =
      LoadText("templates: [{name: t, kind: update, audience: status_page, body: \"{{#a}}\"}]\n");
  ASSERT_EQ(r.problems.size(), 1u) << Dump(r.problems);
  EXPECT_EQ(r.problems[0].key, "templates[0].body");
}

// --- diff ------------------------------------------------------------------------------

json Canonical(const std::string& yaml) {
  LoadResult r = LoadSources({{"t.yaml", yaml}});
  EXPECT_TRUE(r.ok()) << Dump(r.problems);
  return ToJson(r.doc);
}

const char* kBefore =
    "severities:\n"
    "  - {name: SEV-1, ack_target: 10m}\n"
    "  - {name: SEV-2}\n"
    "services: [{name: checkout}, {name: legacy}]\n"
    "runbooks: [{name: old, steps: [a]}]\n";
const char* kAfter =
    "severities:\n"
    "  - {name: SEV-1, ack_target: 15m}\n"
    "  - {name: SEV-2}\n"
    "services: [{name: checkout}, {name: search, description: Find things}]\n"
    "runbooks: [{name: new, steps: [a]}]\n";

TEST_F(PlaybookTest, DiffOfEqualDocumentsHasNoChanges) {
  json a = Canonical(kBefore);
  auto changes = Diff(a, a, true);
  EXPECT_FALSE(HasChanges(changes));
  EXPECT_EQ(changes.size(), 5u);
  for (const auto& c : changes) EXPECT_EQ(c.type, ChangeType::kUnchanged);
  EXPECT_EQ(FormatDiff(changes), "no changes (5 unchanged)\n");
}

TEST_F(PlaybookTest, DiffFindsCreatesUpdatesAndDeletes) {
  json before = Canonical(kBefore), after = Canonical(kAfter);
  auto changes = Diff(before, after, /*prune=*/false);
  ASSERT_EQ(changes.size(), 5u);
  // Kinds in dependency order: severities, services, runbooks.
  EXPECT_EQ(changes[0].type, ChangeType::kUpdate);
  EXPECT_EQ(changes[0].kind, "severities");
  EXPECT_EQ(changes[0].name, "SEV-1");
  ASSERT_EQ(changes[0].fields.size(), 1u);
  EXPECT_EQ(changes[0].fields[0].path, "ack_target");
  EXPECT_EQ(changes[0].fields[0].old_value, "10m");
  EXPECT_EQ(changes[0].fields[0].new_value, "15m");
  EXPECT_EQ(changes[1].type, ChangeType::kUnchanged);
  EXPECT_EQ(changes[2].type, ChangeType::kUnchanged);
  EXPECT_EQ(changes[3].type, ChangeType::kCreate);
  EXPECT_EQ(changes[3].name, "search");
  EXPECT_EQ(changes[3].new_value["description"], "Find things");
  EXPECT_EQ(changes[4].type, ChangeType::kCreate);
  EXPECT_EQ(changes[4].name, "new");
  EXPECT_EQ(FormatDiff(changes),
            "~ severity \"SEV-1\": ack_target 10m -> 15m\n"
            "+ service \"search\"\n"
            "+ runbook \"new\"\n"
            "2 to create, 1 to update, 0 to delete, 2 unchanged\n");

  changes = Diff(before, after, /*prune=*/true);
  ASSERT_EQ(changes.size(), 7u);
  EXPECT_EQ(changes[4].type, ChangeType::kDelete);
  EXPECT_EQ(changes[4].kind, "services");
  EXPECT_EQ(changes[4].name, "legacy");
  EXPECT_EQ(changes[6].type, ChangeType::kDelete);
  EXPECT_EQ(changes[6].name, "old");
  EXPECT_EQ(FormatDiff(changes),
            "~ severity \"SEV-1\": ack_target 10m -> 15m\n"
            "+ service \"search\"\n"
            "- service \"legacy\"\n"
            "+ runbook \"new\"\n"
            "- runbook \"old\"\n"
            "2 to create, 1 to update, 2 to delete, 2 unchanged\n");
}

TEST_F(PlaybookTest, PruneTouchesOnlyKindsTheDocumentManages) {
  json current = Canonical(kBefore);
  json desired = Canonical("services: [{name: checkout}]\n");
  auto changes = Diff(current, desired, true);
  ASSERT_EQ(changes.size(), 2u);  // severities and runbooks are not managed: left alone
  EXPECT_EQ(changes[0].type, ChangeType::kUnchanged);
  EXPECT_EQ(changes[1].type, ChangeType::kDelete);
  EXPECT_EQ(changes[1].name, "legacy");
}

TEST_F(PlaybookTest, DiffReportsNestedPathsAndTheOrganization) {
  json before = Canonical(
      "organization: {name: Acme, time_zone: UTC}\n"
      "users: [{username: al, contact_methods: [{kind: email, address: a@x.example}]}]\n"
      "schedules: [{name: s, layers: [{name: l, users: [al], start_date: \"2026-11-02\"}]}]\n");
  json after = Canonical(
      "organization: {name: Acme, time_zone: Europe/Berlin, business_calendar: {time_zone: UTC}}\n"
      "users: [{username: al, name: Al, contact_methods: [{kind: email, address: a@x.example}]}]\n"
      "schedules: [{name: s, layers: [{name: l, users: [al], start_date: \"2026-11-09\"}]}]\n");
  auto changes = Diff(before, after, false);
  EXPECT_EQ(FormatDiff(changes),
            "~ organization: time_zone UTC -> Europe/Berlin\n"
            "~ user \"al\": name al -> Al\n"
            "~ schedule \"s\": layers[0].start_date 2026-11-02 -> 2026-11-09\n"
            "0 to create, 3 to update, 0 to delete, 0 unchanged\n");
  auto created = Diff(json::object(), after, false);
  EXPECT_EQ(created[0].type, ChangeType::kCreate);
  EXPECT_EQ(FormatDiff({created[0]}),
            "+ organization \"Acme\"\n1 to create, 0 to update, 0 to delete, 0 unchanged\n");
}

TEST_F(PlaybookTest, FormatDiffShowsComplexValuesAsShortJson) {
  json before = Canonical("services: [{name: a, description: short}]\n");
  json after = Canonical(
      "services: [{name: a, description: a much longer description that goes on and on and on "
      "well past sixty characters}]\n");
  EXPECT_EQ(FormatDiff(Diff(before, after, false)),
            "~ service \"a\": description short -> \"a much longer description that goes on and "
            "on and on wel...\n"
            "0 to create, 1 to update, 0 to delete, 0 unchanged\n");
}

}  // namespace
}  // namespace klaxon::playbook
