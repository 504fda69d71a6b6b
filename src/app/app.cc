#include "app/app.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/api.h"
#include "apply/apply.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "config/server_config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/random.h"
#include "drills/drills.h"
#include "engine/timers.h"
#include "events/event.h"
#include "followup/action_items.h"
#include "followup/reports.h"
#include "followup/webhooks.h"
#include "http/server.h"
#include "incidents/incident_service.h"
#include "paging/catalog.h"
#include "paging/dispatcher.h"
#include "paging/pager.h"
#include "paging/people.h"
#include "playbook/playbook.h"
#include "response/automator.h"
#include "response/response.h"
#include "response/reviews.h"
#include "store/inline_writes.h"
#include "store/store.h"

extern char** environ;

namespace klaxon::app {

namespace {

// A secret kept in the store's settings table, made on first use.
Result<std::string> Setting(store::Store& store, const std::string& key,
                            const std::string& initial) {
  std::string value;
  Status s = store.Write([&](store::Tx& tx) -> Status {
    KLAXON_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO settings(key, value) VALUES (?,?) ON CONFLICT(key) DO NOTHING",
                {key, initial}));
    auto row = tx.QueryOne("SELECT value FROM settings WHERE key = ?", {key});
    if (!row.ok()) return row.status();
    value = (*row)->Str(0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return value;
}

constexpr const char* kPasswordFile = "initial-admin-password";

std::map<std::string, std::string> Environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env.emplace(std::string(*e, static_cast<size_t>(eq - *e)), std::string(eq + 1));
  }
  return env;
}

LogLevel ParseLevel(const std::string& s) {
  if (s == "debug") return LogLevel::kDebug;
  if (s == "warn") return LogLevel::kWarn;
  if (s == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

void WriteSecretFile(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::trunc);
  f << content << "\n";
  f.close();
  ::chmod(path.c_str(), 0600);
}

// The demo organization from a playbook (make run: examples/sev-levels): applied as
// `klaxon apply` would, then two incidents to look at.
Status DemoFromPlaybook(store::Tx& tx, apply::Deps& deps, const playbook::Document& doc,
                        const auth::User& admin, const events::Actor& system) {
  KLAXON_RETURN_IF_ERROR(apply::Apply(tx, deps, doc, false, false, system).status());
  if (doc.severities.empty() || doc.services.empty()) return Status::Ok();
  const auto& levels = doc.severities;
  const auto& services = doc.services;
  events::Actor by_admin{"user", admin.id, admin.username};
  auto inc = deps.incidents.Declare(
      tx,
      {"Checkout error rate above 5%", levels[std::min<size_t>(1, levels.size() - 1)].name,
       services[0].name,
       "Demo incident: 5xx responses from the checkout API since the last deploy.",
       "Some customers cannot place orders.", ""},
      system);
  if (!inc.ok()) return inc.status();
  KLAXON_RETURN_IF_ERROR(deps.incidents.Acknowledge(tx, inc->id, by_admin).status());
  KLAXON_RETURN_IF_ERROR(
      deps.incidents
          .AddNote(tx, inc->id, "Deploy 2026-11-25.3 raised the error rate.", by_admin, "finding")
          .status());
  return deps.incidents
      .Declare(tx,
               {"Search latency p99 over 2 s", levels.back().name,
                services[std::min<size_t>(2, services.size() - 1)].name, "", "", ""},
               system)
      .status();
}

// Creates the first admin (and, with --demo, a demo organization) when the store is empty.
Status Bootstrap(const config::ServerConfig& cfg, store::Store& store, auth::AuthService& auth,
                 incidents::IncidentService& incidents, paging::Catalog& catalog,
                 apply::Deps& apply_deps) {
  int64_t users = 0;
  KLAXON_RETURN_IF_ERROR(store.Read([&](store::Tx& tx) -> Status {
    auto n = auth.CountUsers(tx);
    if (!n.ok()) return n.status();
    users = *n;
    return Status::Ok();
  }));
  std::string password_file = cfg.data_dir + "/" + kPasswordFile;
  if (users > 0) {
    std::ifstream f(password_file);
    std::string pw;
    if (f && std::getline(f, pw) && !pw.empty())
      std::printf("Log in at %s as admin with the initial password in %s\n",
                  cfg.PublicUrl().c_str(), password_file.c_str());
    return Status::Ok();
  }
  bool random = cfg.admin_password.empty();
  std::string password = random ? RandomToken(12) : cfg.admin_password;
  std::string hash = auth::HashPassword(password);
  events::Actor system = events::Actor::System();
  std::optional<playbook::Document> demo_doc;
  if (cfg.demo && !cfg.demo_playbook.empty()) {
    auto loaded = playbook::LoadPaths({cfg.demo_playbook});
    if (!loaded.ok())
      return Status(Code::kInvalidArgument, "--demo-playbook: " + loaded.status().message());
    demo_doc = std::move(loaded).value();
  }
  KLAXON_RETURN_IF_ERROR(store.Write([&](store::Tx& tx) -> Status {
    auth::NewUser admin{"admin", "Administrator", auth::Role::kAdmin, password};
    auto u = auth.CreateUser(tx, admin, hash, system);
    if (!u.ok()) return u.status();
    if (!cfg.demo) return Status::Ok();
    if (demo_doc) return DemoFromPlaybook(tx, apply_deps, *demo_doc, *u, system);
    // On call: three responders in a weekly rotation (Monday 09:00 New York), a policy
    // that pages them and then the admin, attached to checkout.
    // The responders log in only after an admin sets their passwords.
    const std::string demo_password = RandomToken(12);
    const std::string demo_hash = auth::HashPassword(demo_password);
    for (auto [username, name] :
         {std::pair{"alice", "Alice Moreau"}, std::pair{"bob", "Bob Okafor"},
          std::pair{"carol", "Carol Lindqvist"}}) {
      auto du = auth.CreateUser(tx, {username, name, auth::Role::kResponder, demo_password},
                                demo_hash, system);
      if (!du.ok()) return du.status();
    }
    auto sched =
        catalog.CreateSchedule(tx,
                               {{"name", "checkout-primary"},
                                {"description", "Primary on call for checkout and payments"},
                                {"time_zone", "America/New_York"},
                                {"layers",
                                 {{{"name", "weekly"},
                                   {"users", {"alice", "bob", "carol"}},
                                   {"rotation", {{"unit", "weeks"}, {"length", 1}}},
                                   {"start_date", "2026-11-02"},
                                   {"handoff_time", "09:00"}}}}},
                               system);
    if (!sched.ok()) return sched.status();
    auto policy = catalog.CreatePolicy(
        tx,
        {{"name", "checkout"},
         {"description", "On-call engineer, then the administrator"},
         {"repeat", 1},
         {"steps",
          {{{"delay_minutes", 5},
            {"targets", {{{"type", "schedule"}, {"name", "checkout-primary"}}}}},
           {{"delay_minutes", 10}, {"targets", {{{"type", "user"}, {"name", "admin"}}}}}}}},
        system);
    if (!policy.ok()) return policy.status();
    for (auto [name, desc, owner] :
         {std::tuple{"checkout", "Cart, payment page and order placement", "payments-team"},
          std::tuple{"payments", "Card authorisation and refunds", "payments-team"},
          std::tuple{"search", "Product search and suggestions", "discovery-team"}}) {
      auto s = incidents.CreateService(tx, {0, name, desc, owner, 0, std::nullopt}, system);
      if (!s.ok()) return s.status();
      if (std::string(name) != "search")
        KLAXON_RETURN_IF_ERROR(catalog.SetServicePolicy(tx, s->id, policy->id));
    }
    auto inc = incidents.Declare(
        tx,
        {"Checkout error rate above 5%", "SEV-2", std::string("checkout"),
         "Demo incident: 5xx responses from the checkout API since the last deploy.",
         "Some customers cannot place orders.", ""},
        system);
    if (!inc.ok()) return inc.status();
    auto ack = incidents.Acknowledge(tx, inc->id, {"user", u->id, "admin"});
    if (!ack.ok()) return ack.status();
    auto note = incidents.AddNote(tx, inc->id, "Rolling back deploy 2026-11-25.3.",
                                  {"user", u->id, "admin"});
    if (!note.ok()) return note.status();
    auto inc2 = incidents.Declare(
        tx, {"Search latency p99 over 2 s", "SEV-3", std::string("search"), "", "", ""}, system);
    return inc2.ok() ? Status::Ok() : inc2.status();
  }));
  if (random) WriteSecretFile(password_file, password);
  std::printf("Created the first admin. Log in at %s as admin with password: %s\n",
              cfg.PublicUrl().c_str(), random ? password.c_str() : "(the --admin-password given)");
  if (random)
    std::printf("(also saved in %s; change it with: klaxon admin reset-password admin)\n",
                password_file.c_str());
  std::fflush(stdout);
  return Status::Ok();
}

int Serve(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::fputs(config::ServeHelp().c_str(), stdout);
      return 0;
    }
  auto cfg_or = config::LoadServerConfig(args, Environment());
  if (!cfg_or.ok()) {
    std::fprintf(stderr, "klaxon serve: %s\n", cfg_or.status().message().c_str());
    return 2;
  }
  const config::ServerConfig cfg = *cfg_or;
  SetLogLevel(ParseLevel(cfg.log_level));
  InitCrypto();
  http::Server::BlockTerminationSignals();
  // The data directory holds password and token hashes: readable by this user only.
  ::umask(077);

  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  if (ec) {
    std::fprintf(stderr, "klaxon serve: --data %s: %s\n", cfg.data_dir.c_str(),
                 ec.message().c_str());
    return 2;
  }

  // One server per database: intake keeps its index of the stored alerts in memory
  // (alerts/fingerprint_index.h), so a second writer would store alerts the first does not
  // know of. The lock sits beside the SQLite file (so --db elsewhere is covered too), stays
  // open for the process's life and goes with it, however it ends. (OpenStore refuses
  // any other URL below.)
  if (std::string url = cfg.StoreUrl(); url.starts_with("sqlite:") && url.size() > 7) {
    std::string db_path = url.substr(7), lock_path = db_path + ".lock";
    std::filesystem::create_directories(std::filesystem::path(lock_path).parent_path(), ec);
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      bool taken = fd >= 0 && errno == EWOULDBLOCK;
      std::fprintf(stderr, "klaxon serve: %s: %s\n", taken ? db_path.c_str() : lock_path.c_str(),
                   taken ? "another klaxon serve is using this database" : std::strerror(errno));
      return 1;
    }
  }

  SystemClock system_clock;
  std::unique_ptr<ManualClock> manual;
  if (cfg.manual_clock)
    manual = std::make_unique<ManualClock>(cfg.clock_start.value_or(system_clock.Now()));
  const Clock& clock = manual ? static_cast<const Clock&>(*manual) : system_clock;

  store::SqliteOptions sopts;
  sopts.synchronous_full = cfg.sqlite_sync_full;
  auto store_or = store::OpenStore(cfg.StoreUrl(), sopts);
  if (!store_or.ok()) {
    std::fprintf(stderr, "klaxon serve: store %s: %s\n",
                 cfg.db.empty() ? cfg.StoreUrl().c_str() : "(--db)",
                 store_or.status().message().c_str());
    return 1;
  }
  std::unique_ptr<store::Store> store = std::move(store_or).value();

  Metrics metrics;
  events::EventBus bus;
  events::EventLog log(clock, bus);
  log.SetAppendObserver([&metrics](const std::string& kind, size_t count) {
    metrics.Add("klaxon_events_appended_total", {{"kind", kind}}, static_cast<double>(count));
  });
  store->SetCommitObserver([&metrics](double secs, size_t batch) {
    metrics.Observe("klaxon_store_commit_duration_seconds", {}, secs);
    metrics.Add("klaxon_store_commands_total", {}, static_cast<double>(batch));
  });
  auth::AuthService auth(clock, log, cfg.session_ttl_hours);
  incidents::IncidentService incidents(clock, log);
  alerts::AlertService alert_service(clock, log, incidents);
  alerts::SuppressionStore suppression(clock, log);
  // Before the first request: intake's index of the stored alerts (alerts/fingerprint_index.h).
  if (Status s = store->Write([&](store::Tx& tx) { return alert_service.LoadIndex(tx); });
      !s.ok()) {
    std::fprintf(stderr, "klaxon serve: reading the alerts: %s\n", s.message().c_str());
    return 1;
  }

  // Paging: people, schedules and policies; the engine's timers; the outbox dispatcher.
  auto link_key = Setting(*store, "action_link_key", RandomToken(32));
  if (!link_key.ok()) {
    std::fprintf(stderr, "klaxon serve: settings: %s\n", link_key.status().message().c_str());
    return 1;
  }
  engine::Timers timers(*store, clock);
  timers.SetLatenessObserver([&metrics](const std::string& kind, int64_t late_ms) {
    metrics.Observe("klaxon_engine_timer_lateness_seconds", {{"kind", kind}}, late_ms / 1000.0);
  });
  metrics.Describe("klaxon_engine_timer_lateness_seconds", "histogram",
                   "How late each engine timer fired (now - due)");
  alerts::Deadlines deadlines(clock, alert_service, timers);
  paging::People people(clock, log);
  paging::Catalog catalog(clock, log, people);
  paging::PagerOptions popts;
  popts.public_url = cfg.PublicUrl();
  popts.link_key = *link_key;
  paging::Pager pager(clock, log, timers, people, catalog, incidents, popts);
  // The playbook in force: severities, classification, targets, cadence, roles. Its tx
  // hook goes first, so a new incident's default role holders are set before step 1 pages.
  response::Response response(clock, log, timers, pager, people, incidents);
  response.Install();
  pager.Install();
  response::Reviews reviews(clock, log, timers, response, people, incidents);
  reviews.Install();
  followup::ActionItems action_items(clock, log, timers, response, people, incidents);
  action_items.Install();
  // Event webhooks are delivered through the same outbox as pages.
  followup::Webhooks webhooks(clock, log);
  webhooks.SetEnqueue([&pager, &clock](store::Tx& tx, const followup::WebhookDelivery& d) {
    paging::OutboxItem item;
    item.idem_key = d.idem_key;
    item.kind = "webhook";
    item.incident_id = d.incident_id;
    item.method.kind = notify::ChannelKind::kWebhook;
    item.method.address = d.url;
    item.method.secret = d.secret;
    item.message.kind = "webhook";
    item.message.payload = d.payload;
    item.webhook_id = d.webhook_id;
    item.not_before = clock.Now();
    return pager.Enqueue(tx, item).status();
  });
  webhooks.Install();
  // The response-time review, computed from the store and mailed on a schedule.
  followup::Reports reports(clock, log, timers, incidents, response, pager);
  reports.Install();
  // Drills: scenarios run through the real flow; every event of a drill's incident says so.
  drills::Drills drills(clock, log, timers, alert_service, incidents, response);
  drills.Install();
  log.SetDecorator([&incidents](store::Tx& tx, events::Event& e) -> Status {
    if (!e.incident_id || !e.data.is_object()) return Status::Ok();
    KLAXON_ASSIGN_OR_RETURN(bool drill, incidents.IsDrill(tx, *e.incident_id));
    if (drill) {
      e.data["drill"] = true;
      e.data_text.clear();
    }
    return Status::Ok();
  });
  if (Status loaded = store->Read([&](store::Tx& tx) { return response.Load(tx); }); !loaded.ok()) {
    std::fprintf(stderr, "klaxon serve: playbook: %s\n", loaded.message().c_str());
    return 1;
  }
  alert_service.SetClassifier(
      [&response](
          const intake::Labels& labels,
          const intake::Labels& annotations) -> std::optional<std::pair<std::string, std::string>> {
        auto c = response.Classify(labels, annotations);
        if (!c) return std::nullopt;
        return std::make_pair(c->severity, c->rule);
      });
  // Automation rules: every alert observation feeds them; their runs happen off the
  // intake path, on the automator's thread.
  response::Automator automator(*store, clock, log, timers, response);
  automator.Install();
  alert_service.SetObserver(
      [&automator, &alert_service](store::Tx& tx, const alerts::Integration& in,
                                   const std::vector<intake::NormalizedAlert>& batch) -> Status {
        // A game day never rolls production back by itself: drills' alerts are not observed.
        if (in.kind == "drill") return Status::Ok();
        std::set<int64_t> incidents;
        for (const auto& a : batch) {
          if (!automator.Concerns(a.labels)) continue;
          auto row = alert_service.FindAlert(tx, in.id, a.fingerprint, "incident_id");
          if (!row.ok()) return row.status();
          if (*row && !(*row)->IsNull(0)) incidents.insert((*row)->Int(0));
        }
        return incidents.empty() ? Status::Ok() : automator.Observe(tx, incidents);
      });
  paging::DispatcherOptions dopts;
  dopts.smtp.url = cfg.smtp_url;
  dopts.smtp.from = cfg.smtp_from;
  dopts.smtp.username = cfg.smtp_user;
  dopts.smtp.password = cfg.smtp_password;
  dopts.smtp.starttls = cfg.smtp_starttls;
  dopts.smtp.verify_tls = cfg.smtp_verify_tls;
  dopts.max_age_ms = cfg.notify_max_age_s * 1000LL;
  paging::Dispatcher dispatcher(*store, clock, log, metrics, dopts);
  pager.SetOutboxListener([&dispatcher](const paging::Pager::Queued& q) { dispatcher.Queued(q); });
  pager.SetOutboxPreparer(
      [&dispatcher](const paging::Pager::Queued& q) { return dispatcher.Prepare(q); });

  // Idempotency keys are kept for a day.
  (void)store->Write([&](store::Tx& tx) {
    return tx.Exec("DELETE FROM idempotency_keys WHERE created_at < ?", {clock.Now() - 86'400'000});
  });

  status::StatusService status_page(clock, log, timers, suppression);
  status_page.Install();
  // Status page subscribers hear about updates through the same outbox as pages.
  status::Subscriptions subscriptions(clock, log, status_page, cfg.PublicUrl());
  subscriptions.SetEnqueue(
      [&pager, &clock](store::Tx& tx, const status::SubscriberDelivery& d) -> Status {
        paging::OutboxItem item;
        item.idem_key = d.idem_key;
        item.kind = d.kind;
        item.method.kind = notify::ParseChannel(d.channel).value_or(notify::ChannelKind::kEmail);
        item.method.address = d.address;
        item.method.secret = d.secret;
        item.message = d.message;
        item.subscriber_id = d.subscriber_id;
        item.not_before = clock.Now();
        return pager.Enqueue(tx, item).status();
      });
  subscriptions.Install();

  apply::Deps apply_deps{log, auth, incidents, people, catalog, alert_service, status_page};
  Status boot = Bootstrap(cfg, *store, auth, incidents, catalog, apply_deps);
  if (!boot.ok()) {
    std::fprintf(stderr, "klaxon serve: first start: %s\n", boot.message().c_str());
    return 1;
  }
  Status engine_started = deadlines.Install(*store);
  if (engine_started.ok()) engine_started = timers.Start();
  if (engine_started.ok()) engine_started = dispatcher.Start();
  if (engine_started.ok()) engine_started = automator.Start();
  if (!engine_started.ok()) {
    std::fprintf(stderr, "klaxon serve: engine: %s\n", engine_started.message().c_str());
    return 1;
  }

  intake::Recorder intake_log;
  api::Api api({*store,
                clock,
                manual.get(),
                bus,
                log,
                auth,
                incidents,
                alert_service,
                suppression,
                deadlines,
                people,
                catalog,
                pager,
                timers,
                dispatcher,
                intake_log,
                status_page,
                subscriptions,
                response,
                reviews,
                action_items,
                webhooks,
                drills,
                reports,
                metrics,
                cfg.PublicUrl(),
                cfg.PublicUrl().starts_with("https://"),
                cfg.session_ttl_hours});
  http::ServerOptions hopts;
  hopts.host = cfg.listen_host;
  hopts.port = cfg.listen_port;
  hopts.threads = cfg.threads;
  hopts.max_body = static_cast<size_t>(cfg.max_body);
  hopts.max_header = static_cast<size_t>(cfg.max_header);
  hopts.read_timeout_s = cfg.read_timeout_s;
  hopts.drain_timeout_s = cfg.drain_timeout_s;
  hopts.idle_timeout_s = cfg.idle_timeout_s;
  hopts.max_connections = static_cast<size_t>(cfg.max_connections);
  // A lone request's write runs on its HTTP thread when the writer is idle: no hand-off.
  hopts.on_thread_start = [] { store::AllowInlineWrites(true); };
  auto observe = [&metrics](const http::Request& req, int status, double secs) {
    std::string route = req.route.empty() ? "unmatched" : req.route;
    static const std::set<std::string> kMethods = {"GET",    "POST", "PUT",    "PATCH",
                                                   "DELETE", "HEAD", "OPTIONS"};
    std::string method = kMethods.count(req.method) ? req.method : "other";
    metrics.Add("klaxon_http_requests_total",
                {{"route", route}, {"method", method}, {"status", std::to_string(status)}});
    metrics.Observe("klaxon_http_request_duration_seconds", {{"route", route}}, secs);
    if (route == "/healthz" || route == "/readyz" || route == "/metrics") return;
    // The public status page is read by the crowd during an outage: counted, not logged.
    if (route == "/status" || route == "/api/v2/*.json") {
      if (status < 500) return;
    }
    // Alerts arrive at their senders' pace, thousands a second in a storm: an accepted one
    // is counted above and kept in its integration's recent payloads, and its line is
    // written at debug level only (at info, a storm would fill the disk or the journal
    // with lines and take their CPU from the intake). A refused one is logged.
    const LogLevel level =
        route.starts_with("/intake/") && status < 400 ? LogLevel::kDebug : LogLevel::kInfo;
    if (!LogEnabled(level)) return;
    Log(level, "request",
        {{"request_id", req.request_id},
         {"method", req.method},
         // Intake paths carry the integration's secret key: log the route.
         {"path", req.path.starts_with("/intake/") ? req.route : req.path},
         {"status", status},
         {"ms", secs * 1000},
         {"remote", req.remote}});
  };
  http::Server server(
      hopts, [&api](http::Request& req, http::Reply reply) { api.Handle(req, std::move(reply)); },
      observe);
  std::unique_ptr<http::Server> public_server;
  if (cfg.status_listen_port != 0) {
    http::ServerOptions popts = hopts;
    popts.host = cfg.status_listen_host;
    popts.port = cfg.status_listen_port;
    public_server = std::make_unique<http::Server>(
        popts,
        [&api](http::Request& req, http::Reply reply) { api.HandlePublic(req, std::move(reply)); },
        observe);
  }
  Status started = server.Start();
  if (started.ok() && public_server) started = public_server->Start();
  if (!started.ok()) {
    std::fprintf(stderr, "klaxon serve: %s\n", started.message().c_str());
    return 1;
  }
  LogInfo("klaxon started", {{"listen", cfg.listen_host + ":" + std::to_string(server.port())},
                             {"store", cfg.db.empty() ? cfg.StoreUrl() : "(--db)"},
                             {"clock", cfg.manual_clock ? "manual" : "system"},
                             {"threads", cfg.threads}});
  std::printf("klaxon listening on http://%s:%d\n", cfg.listen_host.c_str(), server.port());
  if (public_server)
    std::printf("status page listening on http://%s:%d/status\n", cfg.status_listen_host.c_str(),
                public_server->port());
  std::fflush(stdout);

  int sig = http::Server::WaitForSignal();
  LogInfo("shutting down: draining requests and commits", {{"signal", sig}});
  api.Shutdown();
  if (public_server) public_server->Stop();
  server.Stop();
  api.StopHandlers();  // late replies still need the server's sessions: before ~Server
  timers.Stop();
  automator.Stop();
  dispatcher.Stop();
  store->Shutdown();
  LogInfo("stopped");
  return 0;
}

int Admin(const std::vector<std::string>& args) {
  const char* usage =
      "Usage: klaxon admin reset-password USERNAME [--data DIR] [--db URL] [--password P]\n"
      "Sets a new password (random unless given) and prints it. Ends the user's console "
      "sessions.\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(usage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] != "reset-password" || args.size() < 2 || args[1].starts_with("--")) {
    std::fputs(usage, stderr);
    return 2;
  }
  std::string username = args[1];
  std::vector<std::string> rest;
  std::string password;
  for (size_t i = 2; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--password" && i + 1 < args.size()) {
      password = args[++i];
    } else if (a.starts_with("--password=")) {
      password = a.substr(11);
    } else if (a == "--data" || a == "--db" || a == "--config") {
      rest.push_back(a);
      if (i + 1 < args.size()) rest.push_back(args[++i]);
    } else if (a.starts_with("--data=") || a.starts_with("--db=") || a.starts_with("--config=")) {
      rest.push_back(a);
    } else {
      std::fprintf(stderr, "klaxon admin: unknown argument %s\n%s", a.c_str(), usage);
      return 2;
    }
  }
  auto cfg = config::LoadServerConfig(rest, Environment());
  if (!cfg.ok()) {
    std::fprintf(stderr, "klaxon admin: %s\n", cfg.status().message().c_str());
    return 2;
  }
  if (!password.empty() && password.size() < 8) {
    std::fprintf(stderr, "klaxon admin: --password must be at least 8 characters\n");
    return 2;
  }
  SetLogLevel(LogLevel::kWarn);
  InitCrypto();
  auto store = store::OpenStore(cfg->StoreUrl(), {});
  if (!store.ok()) {
    std::fprintf(stderr, "klaxon admin: %s\n", store.status().message().c_str());
    return 1;
  }
  SystemClock clock;
  events::EventBus bus;
  events::EventLog log(clock, bus);
  auth::AuthService auth(clock, log, cfg->session_ttl_hours);
  bool random = password.empty();
  if (random) password = RandomToken(12);
  std::string hash = auth::HashPassword(password);
  Status s = (*store)->Write([&](store::Tx& tx) -> Status {
    auto u = auth.FindUser(tx, username);
    if (!u.ok()) return u.status();
    if (!*u) return NotFound("no user '" + username + "'");
    return auth.SetPassword(tx, (*u)->id, hash, {"system", std::nullopt, "klaxon admin"});
  });
  (*store)->Shutdown();
  if (!s.ok()) {
    std::fprintf(stderr, "klaxon admin: %s\n", s.message().c_str());
    return 1;
  }
  std::error_code ec;
  if (username == "admin") std::filesystem::remove(cfg->data_dir + "/" + kPasswordFile, ec);
  if (random)
    std::printf("New password for %s: %s\n", username.c_str(), password.c_str());
  else
    std::printf("Password for %s changed.\n", username.c_str());
  return 0;
}

void Usage(FILE* out) {
  // The client's commands come from its command table, so none is left out.
  std::string client = "  ";
  size_t line = 2;
  const auto names = cli::ClientCommandNames();
  for (size_t i = 0; i < names.size(); ++i) {
    std::string item = names[i] + (i + 1 < names.size() ? "," : "");
    if (line + 1 + item.size() > 88) {
      client += "\n  ";
      line = 2;
    } else if (line > 2) {
      client += ' ';
      ++line;
    }
    client += item;
    line += item.size();
  }
  std::fputs(("Usage: klaxon COMMAND [ARGS]\n\n"
              "Server:\n"
              "  serve                 run the Klaxon server (klaxon serve --help)\n"
              "  admin reset-password  set a user's password (server-side, on the data directory)\n"
              "Client (talks to a server over HTTP; klaxon COMMAND --help for its subcommands):\n" +
              client +
              "\n"
              "Other:\n"
              "  version               print the version\n"
              "  docs config|events    print docs/config.md or docs/events.md (generated)\n")
                 .c_str(),
             out);
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2) {
    Usage(stderr);
    return 2;
  }
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "serve") return Serve(args);
  if (cmd == "admin") return Admin(args);
  if (cmd == "docs" && args.size() == 1 && args[0] == "config") {
    std::fputs(config::ConfigMarkdown().c_str(), stdout);
    return 0;
  }
  if (cmd == "docs" && args.size() == 1 && args[0] == "events") {
    std::fputs(events::EventsMarkdown().c_str(), stdout);
    return 0;
  }
  if (cmd == "version" || cmd == "--version") {
    std::puts("klaxon 0.1.0");
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    Usage(stdout);
    return 0;
  }
  if (cli::IsClientCommand(argv[1])) return cli::Run(argc, argv);
  std::fprintf(stderr, "klaxon: unknown command '%s'\n", cmd.c_str());
  Usage(stderr);
  return 2;
}

}  // namespace klaxon::app
