#include "remediation/runner.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

extern char** environ;

namespace klaxon::remediation {
namespace {

using Json = nlohmann::json;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

playbook::Action MakeAction(std::string method, std::string url, std::string body = "") {
  playbook::Action a;
  a.name = "test action";
  a.method = std::move(method);
  a.url = std::move(url);
  a.body = std::move(body);
  return a;
}

std::optional<std::string> Header(const Prepared& p, const std::string& name) {
  for (const auto& [n, v] : p.headers)
    if (n == name) return v;
  return std::nullopt;
}

bool Contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// ---- Prepare ---------------------------------------------------------------------------

TEST(RemediationPrepare, SubstitutesEnvironmentVariablesInUrlHeadersAndBody) {
  auto a = MakeAction("POST", "https://${DEPLOY_HOST}/deploys/checkout/rollback?sig=${SIG}",
                      R"({"token": "${ROLLBACK_TOKEN}", "host": "${DEPLOY_HOST}"})");
  a.headers = {{"Authorization", "Bearer ${ROLLBACK_TOKEN}"}, {"X-Plain", "no refs"}};
  auto env = FakeEnv({{"DEPLOY_HOST", "deploy.internal"},
                      {"SIG", "s1g"},
                      {"ROLLBACK_TOKEN", "tok-123"},
                      {"UNUSED", "never"}});
  auto p = Prepare(a, Json::object(), env);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->method, "POST");
  EXPECT_EQ(p->url, "https://deploy.internal/deploys/checkout/rollback?sig=s1g");
  EXPECT_EQ(Header(*p, "Authorization"), "Bearer tok-123");
  EXPECT_EQ(Header(*p, "X-Plain"), "no refs");
  EXPECT_EQ(p->body, R"({"token": "tok-123", "host": "deploy.internal"})");
  EXPECT_EQ(Header(*p, "Content-Type"), "application/json");
  // Every value used, once, in the order first referenced; the unused one is not there.
  EXPECT_EQ(p->secrets, (std::vector<std::string>{"deploy.internal", "s1g", "tok-123"}));
}

TEST(RemediationPrepare, MissingVariablesAreNamed) {
  auto a = MakeAction("POST", "https://deploy.internal/rollback", "{}");
  a.headers = {{"Authorization", "Bearer ${ROLLBACK_TOKEN}"}};
  auto p = Prepare(a, Json::object(), FakeEnv({}));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(p.status().message(), "environment variable ROLLBACK_TOKEN is not set");

  a.url = "https://${DEPLOY_HOST}/rollback";
  p = Prepare(a, Json::object(), FakeEnv({}));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "environment variables DEPLOY_HOST, ROLLBACK_TOKEN are not set");

  // Set but empty is set: used as "", and not a secret (it would redact everything).
  p = Prepare(a, Json::object(), FakeEnv({{"DEPLOY_HOST", "h"}, {"ROLLBACK_TOKEN", ""}}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(Header(*p, "Authorization"), "Bearer ");
  EXPECT_EQ(p->secrets, std::vector<std::string>{"h"});
}

TEST(RemediationPrepare, JsonBodyEscapesFactsAndNeverExpandsThem) {
  const std::string title = R"(Checkout "down" \ ${ROLLBACK_TOKEN} {{ref}} {{{ref}}} é)";
  Json facts = {{"title", title},
                {"ref", "INC-42"},
                {"forged",
                 "\x1E"
                 "0\x1E"}};
  auto a = MakeAction("POST", "https://deploy.internal/rollback",
                      R"({"text": "{{title}}", "ref": "{{ref}}", "forged": "{{forged}}", )"
                      R"("token": "${ROLLBACK_TOKEN}"})");
  auto p = Prepare(a, facts, FakeEnv({{"ROLLBACK_TOKEN", "tok-123"}}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  Json sent = Json::parse(p->body);  // valid JSON despite the quotes and backslash
  EXPECT_EQ(sent["text"], title);    // ${...} and {{...}} from a fact stay literal
  EXPECT_EQ(sent["ref"], "INC-42");
  EXPECT_EQ(sent["forged"], "0");  // a fact cannot forge a placeholder token
  EXPECT_EQ(sent["token"], "tok-123");
  EXPECT_FALSE(Contains(sent["text"].get<std::string>(), "tok-123"));
}

TEST(RemediationPrepare, ContentTypeJsonSelectsJsonEscaping) {
  auto a = MakeAction("PUT", "https://flags.internal/flags/x", R"(text={{title}})");
  a.headers = {{"Content-Type", "application/vnd.api+json; charset=utf-8"}};
  auto p = Prepare(a, Json{{"title", "a \"b\""}}, FakeEnv({}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->body, R"(text=a \"b\")");
  EXPECT_EQ(p->headers.size(), 1u);  // no second Content-Type
}

TEST(RemediationPrepare, RawBodyInsertsValuesAsTheyAre) {
  auto a = MakeAction("POST", "https://chat.internal/say",
                      "{{title}} & <b>{{ref}}</b> ${TOKEN} {{{ref}}}");
  a.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  Json facts = {{"title", "<a&b> \"q\" ${TOKEN}"}, {"ref", "INC-7"}};
  auto p = Prepare(a, facts, FakeEnv({{"TOKEN", "t0k"}}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->body, "<a&b> \"q\" ${TOKEN} & <b>INC-7</b> t0k INC-7");  // no HTML escaping
}

TEST(RemediationPrepare, DefaultContentTypeFollowsTheBody) {
  auto ct = [](const std::string& body) {
    auto p = Prepare(MakeAction("POST", "https://x.internal/", body), Json{{"ref", "INC-1"}},
                     FakeEnv({}));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? Header(*p, "Content-Type") : std::nullopt;
  };
  EXPECT_EQ(ct(R"(  {"ref": "{{ref}}"})"), "application/json");
  EXPECT_EQ(ct("\n[1, 2]"), "application/json");
  EXPECT_EQ(ct("Rolling back for {{ref}}"), "text/plain");
  EXPECT_EQ(ct("{{ref}} is rolling back"), "text/plain");  // a mustache tag is no object
  EXPECT_EQ(ct(""), std::nullopt);
  EXPECT_EQ(ct("{{#missing}}only when set{{/missing}}"), std::nullopt);  // renders empty
}

TEST(RemediationPrepare, SectionsListsAndNumbers) {
  Json facts = {{"count", 3},
                {"ratio", 0.25},
                {"services", {{{"name", "api"}}, {{"name", "web\"x"}}}},
                {"empty", ""}};
  auto a = MakeAction(
      "POST", "https://x.internal/",
      R"({"n": {{count}}, "r": {{ratio}}, "s": [{{#services}}"{{name}}", {{/services}}"end"], )"
      R"("e": "{{^empty}}none{{/empty}}"})");
  auto p = Prepare(a, facts, FakeEnv({}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  Json sent = Json::parse(p->body);
  EXPECT_EQ(sent["n"], 3);
  EXPECT_EQ(sent["r"], 0.25);
  EXPECT_EQ(sent["s"], Json::array({"api", "web\"x", "end"}));
  EXPECT_EQ(sent["e"], "none");
}

TEST(RemediationPrepare, PartialsAreNotResolved) {
  auto a = MakeAction("POST", "https://x.internal/", "[{{>title}}]");
  auto p = Prepare(a, Json{{"title", "{{ref}}"}, {"ref", "INC-1"}}, FakeEnv({}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->body, "[]");
}

TEST(RemediationPrepare, RejectsWhatCannotBeSent) {
  auto env = FakeEnv({{"HOST", "ftp://files.internal"}, {"NL", "a\r\nX-Evil: 1"}});
  // A bad template.
  auto p = Prepare(MakeAction("POST", "https://x.internal/", "{{#open}}"), {}, env);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Contains(p.status().message(), "body: ")) << p.status().message();
  // A URL that is not http(s) once expanded: the message redacts the value.
  p = Prepare(MakeAction("GET", "${HOST}/x"), {}, env);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "url must be an http(s) URL without spaces or control characters: [redacted]/x");
  // A header value with a line break from the environment (header injection).
  auto a = MakeAction("GET", "https://x.internal/");
  a.headers = {{"X-Token", "${NL}"}};
  p = Prepare(a, {}, env);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "header X-Token: the value holds a line break");
  // A body that renders too long.
  Json big = {{"blob", std::string(kMaxRequestBodyBytes, 'x')}};
  p = Prepare(MakeAction("POST", "https://x.internal/", "{{blob}}!"), big, env);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "body: longer than 1024 KiB once rendered");
  // Malformed references (the playbook rejects them too).
  p = Prepare(MakeAction("GET", "https://x.internal/${lower}"), {}, env);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(Contains(p.status().message(), "bad environment reference")) << p.status().message();
  p = Prepare(MakeAction("GET", "https://x.internal/${OPEN"), {}, env);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(Contains(p.status().message(), "unterminated")) << p.status().message();
}

TEST(RemediationPrepare, Methods) {
  auto p = Prepare(MakeAction("put", "https://x.internal/"), {}, FakeEnv({}));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->method, "PUT");
  p = Prepare(MakeAction("", "https://x.internal/"), {}, FakeEnv({}));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->method, "POST");  // the playbook's default
  p = Prepare(MakeAction("TRACE", "https://x.internal/"), {}, FakeEnv({}));
  EXPECT_FALSE(p.ok());
}

TEST(RemediationPrepare, ProcessEnvReadsTheEnvironment) {
  EnvLookup env = ProcessEnv();
  EXPECT_TRUE(env("PATH").has_value());
  EXPECT_EQ(env("KLAXON_REMEDIATION_TEST_SURELY_UNSET"), std::nullopt);
}

// ---- Redact ----------------------------------------------------------------------------

TEST(RemediationRedact, ReplacesEveryOccurrenceLongestFirst) {
  EXPECT_EQ(Redact("a tok b tok", {"tok"}), "a [redacted] b [redacted]");
  EXPECT_EQ(Redact("xabcdefy abc", {"abc", "abcdef"}), "x[redacted]y [redacted]");
  EXPECT_EQ(Redact("nothing here", {}), "nothing here");
  EXPECT_EQ(Redact("nothing here", {""}), "nothing here");  // an empty value is skipped
  EXPECT_EQ(Redact("red", {"red"}), "[redacted]");          // the marker is not rescanned
}

TEST(RemediationRedact, CoversJsonEscapedAndPercentEncodedForms) {
  const std::string secret = "p@ss\"w/rd";
  EXPECT_EQ(Redact(R"({"echo": "p@ss\"w/rd"})", {secret}), R"({"echo": "[redacted]"})");
  EXPECT_EQ(Redact("/cb?token=p%40ss%22w%2Frd&x=1", {secret}), "/cb?token=[redacted]&x=1");
  EXPECT_EQ(Redact("raw p@ss\"w/rd", {secret}), "raw [redacted]");
}

TEST(RemediationRedact, RunResultToJsonHasEveryField) {
  RunResult r;
  r.ok = true;
  r.http_status = 202;
  r.duration_ms = 12;
  r.method = "POST";
  r.url = "https://x.internal/";
  r.excerpt = "{}";
  EXPECT_EQ(r.ToJson(), (Json{{"ok", true},
                              {"http_status", 202},
                              {"duration_ms", 12},
                              {"method", "POST"},
                              {"url", "https://x.internal/"},
                              {"excerpt", "{}"},
                              {"error", ""}}));
}

// ---- Run against tests/integration/remediation_app.py ----------------------------------

constexpr const char* kAppToken = "app-s3cret-Token_value";

size_t Collect(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// A plain request for driving the app (unlimited body, unlike Run's excerpt).
std::string Fetch(const std::string& method, const std::string& url) {
  std::string body;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_perform(c);
  curl_easy_cleanup(c);
  return body;
}

// Starts remediation_app.py (REMEDIATION_APP_TOKEN set) for the suite, resets it between
// tests, kills it at the end.
class RemediationRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/klaxon_remediation_XXXXXX";
    if (!mkdtemp(tmpl)) return;
    dir_ = tmpl;
    const std::string port_file = dir_ + "/port";
    const std::string script =
        std::string(KLAXON_SOURCE_DIR) + "/tests/integration/remediation_app.py";
    std::vector<std::string> env_strings = {std::string("REMEDIATION_APP_TOKEN=") + kAppToken};
    for (char** e = environ; *e; ++e)
      if (std::string_view(*e).rfind("REMEDIATION_APP_TOKEN=", 0) != 0) env_strings.push_back(*e);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    // Debian's python3 first: a pyenv shim takes a second to start.
    for (const char* python : {"/usr/bin/python3", "python3"}) {
      std::vector<std::string> args = {python,    script,          "--port-file",
                                       port_file, "--max-seconds", "300"};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      pid_t pid = 0;
      if (posix_spawnp(&pid, python, nullptr, nullptr, argv.data(), envp.data()) != 0) continue;
      pid_ = pid;
      break;
    }
    if (pid_ <= 0) return;
    for (int i = 0; i < 1000 && port_ == 0; ++i) {  // up to 20 s on a busy machine
      std::ifstream f(port_file);
      if (!(f >> port_)) port_ = 0;
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    port_ = 0;
  }

  void SetUp() override {
    ASSERT_GT(port_, 0) << "remediation_app.py did not start";
    Fetch("POST", Url("/_reset"));
  }

  static std::string Url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  static Json Requests() { return Json::parse(Fetch("GET", Url("/_requests"))); }

  // An action with the app's bearer token taken from ${ROLLBACK_TOKEN}.
  static playbook::Action Authorized(std::string method, const std::string& path,
                                     std::string body = "") {
    auto a = MakeAction(std::move(method), Url(path), std::move(body));
    a.headers = {{"Authorization", "Bearer ${ROLLBACK_TOKEN}"}};
    return a;
  }
  static EnvLookup Env() { return FakeEnv({{"ROLLBACK_TOKEN", kAppToken}}); }

  static inline std::string dir_;
  static inline pid_t pid_ = -1;
  static inline int port_ = 0;
};

TEST_F(RemediationRun, RollbackSucceedsWithTheExpectedStatus) {
  auto a = Authorized("POST", "/deploys/checkout/rollback",
                      R"({"to": "{{version}}", "reason": "{{ref}}: {{title}}"})");
  a.expect_status = {202};
  Json facts = {{"version", "v41"}, {"ref", "INC-42"}, {"title", "5xx \"spike\""}};
  RunResult r = remediation::Run(a, facts, Env());
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.http_status, 202);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, Url("/deploys/checkout/rollback"));
  EXPECT_EQ(Json::parse(r.excerpt), (Json{{"service", "checkout"}, {"rolled_back_to", "v41"}}));
  EXPECT_GE(r.duration_ms, 0);
  EXPECT_LT(r.duration_ms, 5000);

  Json reqs = Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["method"], "POST");
  EXPECT_EQ(reqs[0]["path"], "/deploys/checkout/rollback");
  EXPECT_EQ(reqs[0]["headers"]["Content-Type"], "application/json");
  EXPECT_EQ(reqs[0]["headers"]["Authorization"], std::string("Bearer ") + kAppToken);
  EXPECT_FALSE(reqs[0]["headers"].contains("Expect"));
  EXPECT_EQ(Json::parse(reqs[0]["body"].get<std::string>()),
            (Json{{"to", "v41"}, {"reason", "INC-42: 5xx \"spike\""}}));
}

TEST_F(RemediationRun, FlagReadOnlyAndCircuitBreakerAcceptAny2xx) {
  RunResult r = remediation::Run(Authorized("PUT", "/flags/new-checkout", R"({"enabled": false})"),
                                 {}, Env());
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.method, "PUT");
  r = remediation::Run(MakeAction("GET", Url("/flags/new-checkout")), {}, Env());
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(Json::parse(r.excerpt)["enabled"], false);
  r = remediation::Run(Authorized("POST", "/read-only"), {}, Env());
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(Json::parse(r.excerpt)["read_only"], true);
  r = remediation::Run(Authorized("POST", "/circuit-breakers/payments/reset"), {}, Env());
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(Json::parse(r.excerpt)["state"], "closed");

  Json reqs = Requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0]["method"], "PUT");
  EXPECT_EQ(reqs[1]["method"], "GET");
  EXPECT_EQ(reqs[1]["body"], "");
  EXPECT_EQ(reqs[2]["headers"]["Content-Length"], "0");       // an empty POST
  EXPECT_FALSE(reqs[2]["headers"].contains("Content-Type"));  // not curl's form default
}

TEST_F(RemediationRun, UnexpectedStatusIsNotOk) {
  auto a = Authorized("POST", "/fail");
  a.expect_status = {200, 202};
  RunResult r = remediation::Run(a, {}, Env());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.http_status, 500);
  EXPECT_EQ(r.error, "unexpected status 500 (expected 200 or 202)");
  EXPECT_TRUE(Contains(r.excerpt, "deploy service exploded")) << r.excerpt;

  a.expect_status = {};
  r = remediation::Run(a, {}, Env());
  EXPECT_EQ(r.error, "unexpected status 500 (expected 2xx)");

  a.expect_status = {200, 500, 503};
  r = remediation::Run(a, {}, Env());
  EXPECT_TRUE(r.ok) << r.error;  // expected, if odd
}

TEST_F(RemediationRun, TimesOut) {
  auto a = Authorized("POST", "/slow?ms=2000");
  a.timeout = 300;
  RunResult r = remediation::Run(a, {}, Env());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_EQ(r.error, "timed out after 300ms");
  EXPECT_GE(r.duration_ms, 250);
  EXPECT_LT(r.duration_ms, 1900);
}

TEST_F(RemediationRun, ConnectionRefused) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int closed_port = ntohs(addr.sin_port);
  close(fd);  // bound, never listening, now closed: nothing answers there

  auto a = MakeAction("POST", "http://127.0.0.1:" + std::to_string(closed_port) + "/rollback");
  RunResult r = remediation::Run(a, {}, Env());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_EQ(r.error, "connection refused");
}

TEST_F(RemediationRun, SecretsReachTheAppButNoResultField) {
  // The app echoes the request back, so the secrets come back in the response too.
  auto a = MakeAction("POST", Url("/echo?sig=${SIG}"),
                      R"({"token": "${ROLLBACK_TOKEN}", "title": "{{title}}"})");
  a.headers = {{"Authorization", "Bearer ${ROLLBACK_TOKEN}"}, {"X-Signature", "${SIG}"}};
  const std::string sig = "sig/with+odd=chars";
  auto env = FakeEnv({{"ROLLBACK_TOKEN", kAppToken}, {"SIG", sig}});
  RunResult r = remediation::Run(a, Json{{"title", "checkout"}}, env);
  EXPECT_TRUE(r.ok) << r.error;

  Json reqs = Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["headers"]["Authorization"], std::string("Bearer ") + kAppToken);
  EXPECT_EQ(reqs[0]["headers"]["X-Signature"], sig);
  EXPECT_EQ(reqs[0]["query"], "sig=" + sig);
  EXPECT_TRUE(Contains(reqs[0]["body"].get<std::string>(), kAppToken));

  const std::string all = r.ToJson().dump();
  EXPECT_FALSE(Contains(all, kAppToken)) << all;
  EXPECT_FALSE(Contains(all, sig)) << all;
  EXPECT_FALSE(Contains(all, "sig%2Fwith")) << all;
  EXPECT_EQ(r.url, Url("/echo?sig=[redacted]"));
  EXPECT_TRUE(Contains(r.excerpt, "[redacted]")) << r.excerpt;

  // A failure's error is redacted too (here: the host comes from the environment).
  auto b = MakeAction("POST", "http://${HOST}:1/x");
  b.timeout = 3000;
  r = remediation::Run(b, {}, FakeEnv({{"HOST", "no-such-host.invalid"}}));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(Contains(r.ToJson().dump(), "no-such-host")) << r.ToJson().dump();
}

TEST_F(RemediationRun, MissingVariableMakesNoRequest) {
  RunResult r = remediation::Run(Authorized("POST", "/deploys/checkout/rollback"), {}, FakeEnv({}));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "environment variable ROLLBACK_TOKEN is not set");
  EXPECT_EQ(r.http_status, 0);
  EXPECT_EQ(r.duration_ms, 0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, Url("/deploys/checkout/rollback"));
  EXPECT_TRUE(Requests().empty());
}

TEST_F(RemediationRun, WrongTokenIsAnUnexpectedStatus) {
  auto a = Authorized("POST", "/read-only");
  RunResult r = remediation::Run(a, {}, FakeEnv({{"ROLLBACK_TOKEN", "wrong"}}));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.http_status, 401);
  EXPECT_EQ(r.error, "unexpected status 401 (expected 2xx)");
}

TEST_F(RemediationRun, RedirectIsNotFollowed) {
  auto a = Authorized("POST", "/redirect?to=/read-only");
  RunResult r = remediation::Run(a, {}, Env());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.http_status, 302);
  EXPECT_EQ(r.error, "unexpected status 302 (expected 2xx; redirects are not followed)");
  Json reqs = Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["path"], "/redirect");

  a.expect_status = {302};
  r = remediation::Run(a, {}, Env());
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(Requests().size(), 2u);
}

TEST_F(RemediationRun, ExcerptIsCutOnACharacterBoundary) {
  std::string euros;
  for (int i = 0; i < 400; ++i) euros += "\xE2\x82\xAC";  // € is 3 bytes
  auto a = Authorized("POST", "/echo", euros);
  a.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  RunResult r = remediation::Run(a, {}, Env());
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_LE(r.excerpt.size(), kExcerptBytes);
  EXPECT_GT(r.excerpt.size(), kExcerptBytes - 3);
  EXPECT_EQ(r.excerpt.substr(r.excerpt.size() - 3), "\xE2\x82\xAC");  // whole characters
  EXPECT_NO_THROW((void)r.ToJson().dump());                           // strict UTF-8
}

}  // namespace
}  // namespace klaxon::remediation
