#include "notify/keepalive.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/beast/http/basic_parser.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "notify/curl_util.h"
#include "notify/text.h"

namespace klaxon::notify {
namespace {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxIdle = 64;
// How long an idle connection is kept: below the idle timeout of common servers (2-5 s),
// unless the server says how long it keeps it (Keep-Alive: timeout=N, then N - 1 s).
constexpr auto kDefaultIdleAge = std::chrono::milliseconds(1500);
constexpr auto kMaxIdleAge = std::chrono::seconds(60);
// An answer's header may be this long (libcurl's limit), and no more than this may wait
// unparsed (a chunk-size line or trailer without end).
constexpr uint32_t kMaxHeaderBytes = 300 * 1024;
constexpr size_t kMaxPending = 300 * 1024;
constexpr size_t kMaxParsedUrls = 256;

// Where a plain http:// URL points.
struct Target {
  std::string origin;       // "host:port", the pool's key
  std::string host_header;  // "host" or "host:port" (the port when it is not 80)
  std::string path;         // path and query, as sent in the request line
};

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

std::string UrlPart(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* s = nullptr;
  if (curl_url_get(u, part, &s, flags) != CURLUE_OK || !s) return "";
  std::string out(s);
  curl_free(s);
  return out;
}

bool HasUrlPart(CURLU* u, CURLUPart part) {
  char* s = nullptr;
  const bool has = curl_url_get(u, part, &s, 0) == CURLUE_OK && s;
  curl_free(s);
  return has;
}

// nullopt for anything but a well-formed http:// URL without credentials (libcurl then
// sends it, or says what is wrong with it).
std::optional<Target> ParseTarget(const std::string& url) {
  if (url.size() < 8 || strncasecmp(url.c_str(), "http://", 7) != 0) return std::nullopt;
  std::unique_ptr<CURLU, CurlUrlDeleter> u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  if (HasUrlPart(u.get(), CURLUPART_USER) || HasUrlPart(u.get(), CURLUPART_PASSWORD) ||
      HasUrlPart(u.get(), CURLUPART_ZONEID)) {
    return std::nullopt;  // credentials to send, an IPv6 zone: libcurl's to handle
  }
  Target t;
  const std::string host = UrlPart(u.get(), CURLUPART_HOST);
  const std::string port = UrlPart(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (host.empty() || port.empty()) return std::nullopt;
  t.origin = host + ":" + port;
  t.host_header = port == "80" ? host : t.origin;
  t.path = UrlPart(u.get(), CURLUPART_PATH, CURLU_URLENCODE);  // as libcurl sends it
  if (t.path.empty()) t.path = "/";
  if (HasUrlPart(u.get(), CURLUPART_QUERY)) t.path += "?" + UrlPart(u.get(), CURLUPART_QUERY);
  // The request line and Host header must stay one line each (libcurl escapes what it
  // parses; this is a second guard).
  if (t.path.find_first_of("\r\n \t") != std::string::npos ||
      t.host_header.find_first_of("\r\n \t") != std::string::npos) {
    return std::nullopt;
  }
  return t;
}

}  // namespace

bool ProxyInEnvironment() {
  static const bool set = [] {
    for (const char* name : {"http_proxy", "all_proxy", "ALL_PROXY"}) {
      const char* v = std::getenv(name);
      if (v && *v) return true;
    }
    return false;
  }();
  return set;
}

namespace {

struct Conn {
  std::string origin;
  CurlEasy curl;  // owns the socket
  curl_socket_t fd = CURL_SOCKET_BAD;
  Clock::time_point idle_since;
  Clock::duration idle_age = kDefaultIdleAge;  // kept this long after its last answer
};

// The idle connections, shared by all threads: a delivery thread keeps the connection
// after an answer, and the thread that commits the next page to that origin sends on it.
struct Pool {
  std::mutex mu;
  std::vector<std::unique_ptr<Conn>> idle;  // the longest idle first
};
Pool& IdlePool() {
  static Pool* pool = new Pool;  // never destroyed: threads may post while the process exits
  return *pool;
}

// Parsed URLs, per thread.
const std::optional<Target>& TargetOf(const std::string& url) {
  thread_local std::unordered_map<std::string, std::optional<Target>> targets;
  auto it = targets.find(url);
  if (it != targets.end()) return it->second;
  if (targets.size() >= kMaxParsedUrls) targets.clear();
  return targets.emplace(url, ParseTarget(url)).first->second;
}

// An idle connection to `origin` that the server has not closed, if there is one.
std::unique_ptr<Conn> TakeIdle(const std::string& origin) {
  while (true) {
    std::vector<std::unique_ptr<Conn>> expired;  // closed outside the lock
    std::unique_ptr<Conn> found;
    {
      Pool& pool = IdlePool();
      std::lock_guard lock(pool.mu);
      const auto now = Clock::now();
      // The most recently used first: the likeliest to be open still.
      for (auto it = pool.idle.end(); it != pool.idle.begin();) {
        --it;
        if (now - (*it)->idle_since > (*it)->idle_age) {
          expired.push_back(std::move(*it));
          it = pool.idle.erase(it);
          continue;
        }
        if (!found && (*it)->origin == origin) {
          found = std::move(*it);
          it = pool.idle.erase(it);
        }
      }
    }
    if (!found) return nullptr;
    // Nothing may be readable on an idle connection: readable means closed (EOF or reset)
    // or a stray answer, and either way it cannot carry the next request. Then try the next.
    pollfd p{found->fd, POLLIN, 0};
    if (poll(&p, 1, 0) == 0) return found;
  }
}

void PutIdle(std::unique_ptr<Conn> c) {
  c->idle_since = Clock::now();
  std::unique_ptr<Conn> evicted;  // closed outside the lock
  Pool& pool = IdlePool();
  std::lock_guard lock(pool.mu);
  if (pool.idle.size() >= kMaxIdle) {
    evicted = std::move(pool.idle.front());  // the longest idle
    pool.idle.erase(pool.idle.begin());
  }
  pool.idle.push_back(std::move(c));
}

int RemainingMs(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<int64_t>(ms, 0));
}

std::unique_ptr<Conn> Connect(const Target& t, Clock::time_point deadline, std::string& error) {
  auto c = std::make_unique<Conn>();
  c->origin = t.origin;
  c->curl.reset(curl_easy_init());
  if (!c->curl) {
    error = "curl_easy_init failed";
    return nullptr;
  }
  CURL* h = c->curl.get();
  const std::string url = "http://" + t.origin + "/";
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max(RemainingMs(deadline), 1)));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  const CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  if (rc != CURLE_OK) {
    error = curl_easy_strerror(rc);
    if (errbuf[0] != '\0') error += std::string(": ") + errbuf;
    return nullptr;
  }
  if (curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &c->fd) != CURLE_OK || c->fd == CURL_SOCKET_BAD) {
    error = "no socket after connecting";
    return nullptr;
  }
  return c;
}

std::string RequestBytes(const Target& t, const HttpRequest& req) {
  std::string out;
  out.reserve(256 + req.body.size());
  out += "POST ";
  out += t.path;
  out += " HTTP/1.1\r\nHost: ";
  out += t.host_header;
  out += "\r\n";
  bool accept = false, content_type = false;
  for (const auto& [name, value] : req.headers) {
    const std::string n = OneLine(name), v = OneLine(value);
    if (n.empty() || v.empty()) continue;  // libcurl drops these too
    const char* c = n.c_str();
    if (strcasecmp(c, "host") == 0 || strcasecmp(c, "content-length") == 0 ||
        strcasecmp(c, "transfer-encoding") == 0 || strcasecmp(c, "connection") == 0 ||
        strcasecmp(c, "expect") == 0) {
      continue;  // framing is this client's
    }
    accept = accept || strcasecmp(c, "accept") == 0;
    content_type = content_type || strcasecmp(c, "content-type") == 0;
    out += n;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  // libcurl's defaults for a POST, so that both paths send the same request.
  if (!accept) out += "Accept: */*\r\n";
  if (!content_type) out += "Content-Type: application/x-www-form-urlencoded\r\n";
  out += "Content-Length: ";
  out += std::to_string(req.body.size());
  out += "\r\n\r\n";
  out += req.body;
  return out;
}

// Collects the status, headers and the first 4 KiB of the body of one response.
class ResponseParser : public http::basic_parser<false> {
 public:
  explicit ResponseParser(HttpResult& result) : result_(result) {
    // Reading stops after 4 KiB anyway. (Not boost::none: Boost 1.74 compares a known
    // content length against the optional and fails on none.)
    body_limit(std::numeric_limits<std::uint64_t>::max());
    header_limit(kMaxHeaderBytes);
    eager(true);
  }
  bool cut() const { return cut_; }
  Clock::duration idle_age() const { return idle_age_; }

 private:
  void on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int,
                       boost::beast::error_code&) override {}
  void on_response_impl(int code, boost::beast::string_view, int,
                        boost::beast::error_code&) override {
    result_.status = code;
    result_.headers.clear();
    result_.body.clear();
  }
  void on_field_impl(http::field, boost::beast::string_view name, boost::beast::string_view value,
                     boost::beast::error_code&) override {
    if (name.size() == 10 && strncasecmp(name.data(), "keep-alive", 10) == 0) {
      idle_age_ = IdleAgeOf(std::string_view(value.data(), value.size()));
    }
    if (result_.headers.size() >= kHttpMaxHeaders) return;
    result_.headers.emplace_back(
        std::string(name.data(), name.size()),
        std::string(value.data(), std::min(value.size(), kHttpMaxHeaderLine)));
  }
  void on_header_impl(boost::beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::beast::error_code&) override {}
  size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override {
    return Keep(body, ec);
  }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::beast::error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                            boost::beast::error_code& ec) override {
    return Keep(body, ec);
  }
  void on_finish_impl(boost::beast::error_code&) override {}

  size_t Keep(boost::beast::string_view body, boost::beast::error_code& ec) {
    const size_t room = kHttpMaxBody - result_.body.size();
    result_.body.append(body.data(), std::min(room, body.size()));
    if (body.size() > room) {
      cut_ = true;  // the first 4 KiB is all we keep: stop reading
      ec = http::error::body_limit;
    }
    return body.size();
  }

  // "timeout=5, max=100": the server keeps it 5 s; we, a second less.
  static Clock::duration IdleAgeOf(std::string_view v) {
    const auto at = v.find("timeout=");
    if (at == std::string_view::npos) return kDefaultIdleAge;
    int64_t seconds = 0;
    for (size_t i = at + 8; i < v.size() && v[i] >= '0' && v[i] <= '9' && seconds < 3600; ++i)
      seconds = seconds * 10 + (v[i] - '0');
    return std::min<Clock::duration>(std::chrono::seconds(std::max<int64_t>(seconds - 1, 0)),
                                     kMaxIdleAge);
  }

  HttpResult& result_;
  bool cut_ = false;
  Clock::duration idle_age_ = kDefaultIdleAge;
};

// The status of a status line Beast's strict parser refuses and libcurl reads: no reason
// phrase, a bare LF, "http/1.1" in lower case ("HTTP/1.1 200\n").
std::optional<int> LenientStatus(std::string_view raw) {
  if (raw.size() < 12 || strncasecmp(raw.data(), "HTTP/1.", 7) != 0 || raw[8] != ' ') {
    return std::nullopt;
  }
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (raw[i] < '0' || raw[i] > '9') return std::nullopt;
    status = status * 10 + (raw[i] - '0');
  }
  if (raw.size() > 12 && raw[12] != ' ' && raw[12] != '\r' && raw[12] != '\n') return std::nullopt;
  return status;
}

enum class Exchange {
  kDone,      // an answer (result.status set); keep says whether the connection may be reused
  kNoAnswer,  // closed before any byte of an answer: a reused connection may be retried
  kFailed,    // result.error says why
};

// Writes as much of what is left of `request` as the socket takes now, without waiting:
// 0 once it is all sent, else the error that stopped it (EAGAIN: the socket is full).
int SendSome(Conn& c, const std::string& request, size_t& sent) {
  while (sent < request.size()) {
    const ssize_t n =
        send(c.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? errno : EAGAIN;
  }
  return 0;
}

// Writes what is left of `request`, waiting for room until the deadline; kDone once it is
// all sent.
Exchange Send(Conn& c, const std::string& request, size_t& sent, Clock::time_point deadline,
              int timeout_ms, HttpResult& result) {
  while (true) {
    const int error = SendSome(c, request, sent);
    if (error == 0) return Exchange::kDone;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      pollfd p{c.fd, POLLOUT, 0};
      const int left = RemainingMs(deadline);
      if (left == 0 || poll(&p, 1, left) == 0) {
        result.error = "Operation timed out after " + std::to_string(timeout_ms) +
                       " milliseconds while sending";
        return Exchange::kFailed;
      }
      continue;
    }
    if (sent == 0 && (error == EPIPE || error == ECONNRESET)) return Exchange::kNoAnswer;
    result.error = std::string("Send failure: ") + std::strerror(error);
    return Exchange::kFailed;
  }
}

// Reads the answer to a request sent on `c`.
Exchange Read(Conn& c, Clock::time_point deadline, int timeout_ms, HttpResult& result, bool& keep) {
  keep = false;
  std::string pending;  // received, not yet parsed
  size_t received = 0;
  auto parser = std::make_unique<ResponseParser>(result);
  // What an answer the strict parser refuses still says. Once a final status line was
  // read, it is the verdict (libcurl would give it too): failing the post instead would
  // send a delivered page again and again. The connection is not reused after it.
  auto refused = [&](const std::string& why) {
    if (result.status >= 200) return Exchange::kDone;
    if (auto status = LenientStatus(pending)) {
      result = HttpResult{};
      result.status = *status;
      return Exchange::kDone;
    }
    result = HttpResult{};
    result.error = "Weird server reply: " + why;
    return Exchange::kFailed;
  };
  char buf[16384];
  while (true) {
    // Parse what there is; an interim answer (1xx) is followed by the real one.
    while (!pending.empty()) {
      boost::beast::error_code ec;
      const size_t used = parser->put(boost::asio::buffer(pending), ec);
      if (parser->cut()) return Exchange::kDone;  // 4 KiB kept; the rest is not read
      if (ec && ec != http::error::need_more) return refused(ec.message());
      pending.erase(0, used);
      if (ec) break;  // need more
      if (parser->is_done()) {
        if (result.status >= 100 && result.status < 200 && result.status != 101) {
          parser = std::make_unique<ResponseParser>(result);
          continue;
        }
        // 101: the server switched protocols; the connection is not HTTP any more.
        keep = parser->keep_alive() && pending.empty() && result.status != 101;
        c.idle_age = parser->idle_age();
        return Exchange::kDone;
      }
      if (used == 0) break;
    }
    if (pending.size() > kMaxPending)
      return refused("the answer's header or a chunk line is too long");
    pollfd p{c.fd, POLLIN, 0};
    if (poll(&p, 1, RemainingMs(deadline)) == 0) {  // what has arrived is read, even late
      result = HttpResult{};
      result.error = "Operation timed out after " + std::to_string(timeout_ms) +
                     " milliseconds with " + std::to_string(received) + " bytes received";
      return Exchange::kFailed;
    }
    // Acknowledge what arrives at once. A connection that carries a request soon after each
    // answer looks interactive to Linux, which then delays its acknowledgements (up to 40
    // ms); a server that writes its answer in two parts (headers, then body) and waits for
    // the first's acknowledgement before the second (Nagle's algorithm: Python's
    // http.server, for one) then finishes each answer 40 ms late, and the delivery holds
    // its address's turn meanwhile. Quick-ack mode ends after a while: set before each read.
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    const ssize_t n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      received += static_cast<size_t>(n);
      pending.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (received == 0 && (n == 0 || errno == ECONNRESET)) return Exchange::kNoAnswer;
    if (n < 0) {
      if (result.status >= 200) return Exchange::kDone;  // the verdict arrived before the reset
      result = HttpResult{};
      result.error = std::string("Recv failure: ") + std::strerror(errno);
      return Exchange::kFailed;
    }
    // The server closed the connection: the end of an answer without a length, or not.
    if (!parser->got_some()) {  // nothing (after an interim answer)
      if (!pending.empty()) return refused("the answer ended early");
      result = HttpResult{};
      result.error = "Server closed the connection without a final answer";
      return Exchange::kFailed;
    }
    boost::beast::error_code ec;
    parser->put_eof(ec);
    if (ec || !parser->is_done()) return refused("the answer ended early");
    return Exchange::kDone;
  }
}

}  // namespace

struct PreparedPost::Impl {
  Target target;
  std::string request;
  int timeout_ms = 0;
  std::optional<Clock::time_point> deadline;  // from the first send (SendNow or Finish)
  std::unique_ptr<Conn> conn;
  bool reused = false;  // conn was idle in the pool (it may have been closed meanwhile)
  size_t sent = 0;      // bytes of request written on conn
  void Start();
};

PreparedPost::PreparedPost(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PreparedPost::~PreparedPost() = default;

bool PreparedPost::Takes(const std::string& url) {
  if (ProxyInEnvironment()) return false;
  CurlGlobalInit();  // before libcurl parses the URL
  return TargetOf(url).has_value();
}

std::unique_ptr<PreparedPost> PreparedPost::Make(const HttpRequest& req, int timeout_ms) {
  if (!Takes(req.url)) return nullptr;
  const std::optional<Target>& target = TargetOf(req.url);  // parsed by Takes
  auto impl = std::make_unique<Impl>();
  impl->target = *target;
  impl->request = RequestBytes(*target, req);
  impl->timeout_ms = std::max(timeout_ms, 1);
  return std::unique_ptr<PreparedPost>(new PreparedPost(std::move(impl)));
}

void PreparedPost::Impl::Start() {
  if (!deadline) deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
}

bool PreparedPost::SendNow() {
  Impl& p = *impl_;
  p.Start();
  if (!p.conn) {
    p.conn = TakeIdle(p.target.origin);
    p.reused = p.conn != nullptr;
    if (!p.conn) return false;
  }
  SendSome(*p.conn, p.request, p.sent);
  return p.sent > 0;
}

HttpResult PreparedPost::Finish() {
  Impl& p = *impl_;
  p.Start();
  HttpResult result;
  if (!p.conn) {
    p.conn = TakeIdle(p.target.origin);
    p.reused = p.conn != nullptr;
  }
  while (true) {
    if (!p.conn) {
      p.conn = Connect(p.target, *p.deadline, result.error);
      p.reused = false;
      p.sent = 0;
      if (!p.conn) return result;
    }
    bool keep = false;
    result = HttpResult{};
    Exchange e = Send(*p.conn, p.request, p.sent, *p.deadline, p.timeout_ms, result);
    if (e == Exchange::kDone) e = Read(*p.conn, *p.deadline, p.timeout_ms, result, keep);
    switch (e) {
      case Exchange::kDone:
        if (keep) PutIdle(std::move(p.conn));
        p.conn.reset();
        return result;
      case Exchange::kNoAnswer:
        p.conn.reset();
        if (p.reused) continue;  // once more, on a new connection
        result.error = "Empty reply from server";
        return result;
      case Exchange::kFailed:
        p.conn.reset();
        return result;
    }
  }
}

std::optional<HttpResult> PostKeptAlive(const HttpRequest& req, int timeout_ms) {
  auto post = PreparedPost::Make(req, timeout_ms);
  if (!post) return std::nullopt;
  return post->Finish();
}

size_t KeptAliveConnections(const std::string& url) {
  const std::optional<Target>& target = TargetOf(url);
  if (!target) return 0;
  Pool& pool = IdlePool();
  std::lock_guard lock(pool.mu);
  return static_cast<size_t>(std::count_if(pool.idle.begin(), pool.idle.end(), [&](const auto& c) {
    return c->origin == target->origin;
  }));
}

}  // namespace klaxon::notify
