// `klaxon apply -f FILE|DIR [-f ...] [--dry-run] [--prune]` and `klaxon export [-o FILE]`:
// the playbook as configuration (examples/README.md), through POST /api/v1/apply and
// GET /api/v1/export.
//
// The files are read here and sent as they are; the server checks them. A directory gives
// its *.yaml and *.yml files (not recursively) in name order. Problems come back as a 422
// whose detail holds one `file:line: key: message` line each; they are printed as such.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/handlers.h"
#include "cli/session.h"

namespace klaxon::cli {

namespace {

constexpr size_t kMaxPlaybookBytes = 1 << 20;  // the server's default --max-body

bool IsYamlName(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

// Appends {"name","text"} for `path` (a file, or a directory's YAML files); false after
// printing why not.
bool ReadPlaybookPath(Context& context, const std::string& path, nlohmann::json& files,
                      size_t& total) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::pair<std::string, fs::path>> paths;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (entry.is_regular_file() && IsYamlName(entry.path()))
        paths.push_back({entry.path().filename().string(), entry.path()});
    }
    if (ec) {
      ReportError(context, "cannot read " + path + ": " + ec.message());
      return false;
    }
    std::sort(paths.begin(), paths.end());
    if (paths.empty()) {
      ReportError(context, path + ": no *.yaml or *.yml files in the directory");
      return false;
    }
  } else {
    paths.push_back({path, fs::path(path)});
  }
  for (const auto& [unused, p] : paths) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      ReportError(context, "cannot read " + p.string());
      return false;
    }
    std::ostringstream text;
    text << in.rdbuf();
    total += text.str().size();
    if (total > kMaxPlaybookBytes) {
      ReportError(context, "the playbook is larger than 1 MiB");
      return false;
    }
    files.push_back({{"name", p.string()}, {"text", text.str()}});
  }
  return true;
}

}  // namespace

int ApplyCommand(Context& context, const Invocation& invocation) {
  const std::vector<std::string> paths = invocation.GetAll("file");
  if (paths.empty())
    return ReportUsage(context, invocation, "give the playbook with -f FILE|DIR (repeatable)");
  nlohmann::json files = nlohmann::json::array();
  size_t total = 0;
  for (const std::string& path : paths) {
    if (!RequireNonEmpty(context, invocation, path, "-f")) return kExitUsage;
    if (!ReadPlaybookPath(context, path, files, total)) return kExitError;
  }
  const bool dry_run = invocation.Has("dry-run");
  const nlohmann::json body = {
      {"files", files}, {"prune", invocation.Has("prune")}, {"dry_run", dry_run}};
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  // Sent here rather than through Session::Call, to print the problems one a line.
  std::unique_ptr<HttpClient> client = context.make_client(session->connection());
  const HttpResponse response = client->Send({"POST", "/api/v1/apply", body.dump()});
  if (response.status == 422) {
    const nlohmann::json problem = nlohmann::json::parse(response.body, nullptr, false);
    if (problem.is_object() && problem.value("detail", nlohmann::json()).is_string()) {
      context.err << problem["detail"].get<std::string>() << "\n";
      context.err << "klaxon: the playbook is invalid; nothing was applied\n";
      return kExitError;
    }
  }
  if (response.status != 200) {
    // Anything else: the usual report (the same request again is harmless for a dry run,
    // and a failed apply changed nothing).
    return session->Call("POST", "/api/v1/apply", &body) ? kExitOk : kExitError;
  }
  const nlohmann::json result = nlohmann::json::parse(response.body, nullptr, false);
  if (result.is_discarded()) return ReportError(context, "unexpected response: not JSON");
  if (session->json_output()) {
    session->PrintJson(result);
    return kExitOk;
  }
  context.out << result.value("diff", std::string()) << "\n";
  if (dry_run) context.out << "dry run: nothing was changed\n";
  return kExitOk;
}

int ExportCommand(Context& context, const Invocation& invocation) {
  std::optional<Session> session = Session::Open(context, invocation, Session::Auth::kToken);
  if (!session) return kExitError;
  const std::string path = session->json_output() ? "/api/v1/export?format=json" : "/api/v1/export";
  const std::optional<nlohmann::json> response = session->Call("GET", path);
  if (!response) return kExitError;
  const std::string text =
      session->json_output() ? response->dump(2) + "\n" : response->value("yaml", std::string());
  if (!invocation.Has("output")) {
    context.out << text;
    return kExitOk;
  }
  const std::string file = invocation.Get("output");
  if (!RequireNonEmpty(context, invocation, file, "--output")) return kExitUsage;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return ReportError(context, "cannot write " + file);
  context.err << "wrote " << file << "\n";
  return kExitOk;
}

}  // namespace klaxon::cli
