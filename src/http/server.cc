#include "http/server.h"

// Asio under C++20 with Boost 1.74 needs <utility> first (std::exchange).
#include <utility>
//
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "core/clock.h"
#include "core/log.h"
#include "core/thread_name.h"

namespace klaxon::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class Session;

struct Server::Impl {
  ServerOptions opts;
  Handler handler;
  CompletionObserver observer;
  // Declared before the io_context: handlers still queued in it when it is destroyed
  // release Sessions, whose destructors use these.
  std::mutex mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> live;
  net::io_context ioc;
  // Keeps the workers running while requests wait on the store with no I/O pending
  // (during a drain nothing else would); released once the drain is over.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_backoff{ioc};
  std::vector<std::thread> threads;
  std::atomic<int64_t> inflight{0};
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> next_request{1};
  int bound_port = 0;

  Impl(ServerOptions o, Handler h, CompletionObserver ob)
      : opts(std::move(o)), handler(std::move(h)), observer(std::move(ob)), ioc(opts.threads) {}
  void Accept();
  size_t connections() {
    std::lock_guard lock(mu);
    return live.size();
  }
};

namespace {
std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
// Headers the server writes itself (a handler's own would be replaced by Beast's `set`).
bool Framing(const std::string& name) {
  for (const char* f :
       {"content-length", "transfer-encoding", "connection", "server", "x-request-id"})
    if (beast::iequals(beast::string_view(name.data(), name.size()), f)) return true;
  return false;
}
const char* Reason(int status) {
  return bhttp::obsolete_reason(static_cast<bhttp::status>(status)).data();
}
// The status line, the handler's headers and X-Request-Id, as the raw writers (SendNow,
// StartStream) send them; each adds the rest of the head.
std::string Head(const Response& r, const std::string& request_id) {
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) + "\r\n";
  for (const auto& [k, v] : r.headers) head += k + ": " + v + "\r\n";
  return head + "X-Request-Id: " + request_id + "\r\n";
}
}  // namespace

// One client connection. Lives on its own strand; kept alive by the pending operation's
// handler (and, while streaming, by the StreamSink).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& impl) : stream_(std::move(socket)), impl_(impl) {
    buffer_.reserve(16 << 10);
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  ~Session() {
    std::lock_guard lock(impl_.mu);
    impl_.live.erase(this);
  }

  void Start() {
    {
      std::lock_guard lock(impl_.mu);
      impl_.live.emplace(this, weak_from_this());
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

  // Called on Stop(): idle connections close now; busy ones close after their response.
  void Shutdown() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->streaming_ || !self->busy_) self->Close();
    });
  }

  // --- streaming (server-sent events) ---
  bool StreamWrite(std::string data) {
    if (closed_) return false;
    // A client that stops reading is cut off rather than buffered without bound.
    if (queued_bytes_.fetch_add(data.size()) + data.size() > kMaxStreamBuffer) {
      StreamClose();
      return false;
    }
    net::post(stream_.get_executor(), [self = shared_from_this(), d = std::move(data)]() mutable {
      if (self->closed_) return;
      self->outq_.push_back(std::move(d));
      if (!self->writing_) self->DoStreamWrite();
    });
    return true;
  }
  bool stream_closed() const { return closed_; }
  void StreamOnClose(std::function<void()> fn) {
    net::post(stream_.get_executor(), [self = shared_from_this(), fn = std::move(fn)]() mutable {
      if (self->closed_)
        fn();
      else
        self->on_close_.push_back(std::move(fn));
    });
  }
  void StreamClose() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  void DoRead() {
    if (impl_.stopping) return Close();
    if (buffer_.size() == 0) {
      // Between requests: wait for the next one's first bytes under the idle timeout.
      stream_.expires_after(std::chrono::seconds(impl_.opts.idle_timeout_s));
      stream_.async_read_some(buffer_.prepare(16 << 10),
                              [self = shared_from_this()](beast::error_code ec, size_t n) {
                                if (ec) return self->Close();
                                self->buffer_.commit(n);
                                self->ReadRequest();
                              });
      return;
    }
    ReadRequest();
  }

  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(impl_.opts.max_body);
    parser_->header_limit(static_cast<uint32_t>(impl_.opts.max_header));
    stream_.expires_after(std::chrono::seconds(impl_.opts.read_timeout_s));
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == bhttp::error::body_limit) return SendSimpleError(413, "request body too large");
    if (ec == bhttp::error::header_limit) return SendSimpleError(431, "request headers too large");
    if (ec) {
      bool partial = parser_ && parser_->got_some() && ec != beast::error::timeout &&
                     ec != bhttp::error::end_of_stream && ec != net::error::eof &&
                     ec != net::error::connection_reset;
      if (partial && ec != bhttp::error::partial_message)
        return SendSimpleError(400, "malformed HTTP request");
      return Close();
    }
    auto& breq = parser_->get();
    req_ = Request{};
    req_.method = std::string(breq.method_string());
    req_.target = std::string(breq.target());
    std::string_view target = req_.target;
    size_t q = target.find('?');
    req_.path = PercentDecode(target.substr(0, q), false);
    if (q != std::string_view::npos) req_.query = ParseQuery(target.substr(q + 1));
    for (const auto& f : breq)
      req_.headers.emplace_back(
          Lower(std::string_view(f.name_string().data(), f.name_string().size())),
          std::string(f.value()));
    req_.body = std::move(breq.body());
    req_.remote = remote_;
    char id[24];
    std::snprintf(id, sizeof id, "r-%06llu",
                  static_cast<unsigned long long>(impl_.next_request.fetch_add(1)));
    req_.request_id = id;
    keep_alive_ = breq.keep_alive();
    start_us_ = MonotonicMicros();
    busy_ = true;
    ++impl_.inflight;
    stream_.expires_never();

    auto done = std::make_shared<std::atomic<bool>>(false);
    Reply reply = [self = shared_from_this(), done, head = req_.method == "HEAD",
                   id = req_.request_id](Response r) {
      if (done->exchange(true)) return;
      if (!head && self->SendNow(r, id)) return;
      net::post(self->stream_.get_executor(),
                [self, r = std::move(r)]() mutable { self->Send(std::move(r)); });
    };
    try {
      impl_.handler(req_, reply);
    } catch (const std::exception& e) {
      LogError("handler threw", {{"request_id", req_.request_id}, {"error", e.what()}});
      reply(Response::Problem(Internal("internal error"), req_.request_id));
    }
  }

  void SendSimpleError(int status, std::string detail) {
    req_ = Request{};
    req_.method =
        parser_ && parser_->is_header_done() ? std::string(parser_->get().method_string()) : "?";
    req_.path = parser_ && parser_->is_header_done() ? std::string(parser_->get().target()) : "?";
    req_.remote = remote_;
    char id[24];
    std::snprintf(id, sizeof id, "r-%06llu",
                  static_cast<unsigned long long>(impl_.next_request.fetch_add(1)));
    req_.request_id = id;
    keep_alive_ = false;
    busy_ = true;
    ++impl_.inflight;
    start_us_ = MonotonicMicros();
    Status st(status == 413 ? Code::kTooLarge : Code::kBadRequest, std::move(detail));
    Response r = Response::Problem(st, req_.request_id);
    r.status = status;
    Send(std::move(r));
  }

  // Writes a plain response at once, on the answering thread (the store's syncer, for a
  // write): a hand-off to the session's strand first was a thread wake-up on every
  // write's path (~0.15 ms of scheduling delay on a busy two-core machine: bench/RESULTS.md,
  // intake Run 9). Safe because between reading a request and answering it the session
  // has no operation pending, no timer running (expires_never) and nothing closes its
  // socket (Shutdown leaves a busy session alone). What the socket does not take at once
  // is written from the strand, which then finishes the request as Send's writes do.
  // False (nothing done) for a response Send must write: streamed, shared or odd headers.
  bool SendNow(const Response& r, const std::string& request_id) {
    if (r.stream || r.shared_body) return false;
    for (const auto& [k, v] : r.headers)
      if (k.find_first_of("\r\n:") != std::string::npos ||
          v.find_first_of("\r\n") != std::string::npos || Framing(k))
        return false;
    std::string headers = Head(r, request_id) + "Server: klaxon\r\n";
    // As Beast's prepare_payload: no length and no body where the status allows none.
    bool bodyless = r.status < 200 || r.status == 204 || r.status == 304;
    if (!bodyless) {
      headers += "Content-Length: ";
      headers += std::to_string(r.body.size());
      headers += "\r\n";
    }
    bool keep = keep_alive_ && !impl_.stopping;
    if (!keep) headers += "Connection: close\r\n";
    headers += "\r\n";
    iovec iov[2] = {{headers.data(), headers.size()},
                    {const_cast<char*>(r.body.data()), bodyless ? 0 : r.body.size()}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    ssize_t n = ::sendmsg(stream_.socket().native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    size_t total = iov[0].iov_len + iov[1].iov_len;
    bool failed = n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
    std::shared_ptr<std::string> rest;  // what the socket did not take
    if (!failed && sent < total) {
      rest = std::make_shared<std::string>();
      if (sent < headers.size()) rest->append(headers, sent);
      size_t body_from = sent > headers.size() ? sent - headers.size() : 0;
      rest->append(r.body.data() + body_from, iov[1].iov_len - body_from);
    }
    bool close = failed || !keep;
    net::post(stream_.get_executor(), [self = shared_from_this(), status = r.status, close, rest] {
      self->status_ = status;
      if (!rest) return self->AfterResponse(close);
      self->stream_.expires_after(std::chrono::seconds(self->impl_.opts.read_timeout_s));
      net::async_write(
          self->stream_, net::buffer(*rest),
          [self, close, rest](beast::error_code ec, size_t) { self->AfterResponse(ec || close); });
    });
    return true;
  }

  void AfterResponse(bool close) {
    Finish();
    if (close) return Close();
    DoRead();
  }

  void Send(Response r) {
    if (r.stream) return StartStream(std::move(r));
    if (r.shared_body) return SendShared(std::move(r));
    // Beast's prepare_payload throws for a body these statuses cannot have (escaping the
    // I/O thread); SendNow drops it, and so does this.
    if (r.status < 200 || r.status == 204 || r.status == 304) r.body.clear();
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->result(static_cast<unsigned>(r.status));
    res->version(11);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->set("X-Request-Id", req_.request_id);
    res->set(bhttp::field::server, "klaxon");
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_ && !impl_.stopping);
    res->prepare_payload();
    status_ = r.status;
    res_ = res;
    stream_.expires_after(std::chrono::seconds(impl_.opts.read_timeout_s));
    bhttp::async_write(stream_, *res_,
                       beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  // A body shared with other responses: written from the shared string, not copied.
  void SendShared(Response r) {
    auto res = std::make_shared<bhttp::response<bhttp::span_body<const char>>>();
    res->result(static_cast<unsigned>(r.status));
    res->version(11);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->set("X-Request-Id", req_.request_id);
    res->set(bhttp::field::server, "klaxon");
    res->body() = beast::span<const char>(r.shared_body->data(), r.shared_body->size());
    res->keep_alive(keep_alive_ && !impl_.stopping);
    res->prepare_payload();
    status_ = r.status;
    shared_body_ = std::move(r.shared_body);
    shared_res_ = res;
    stream_.expires_after(std::chrono::seconds(impl_.opts.read_timeout_s));
    bhttp::async_write(stream_, *shared_res_,
                       beast::bind_front_handler(&Session::OnSharedWrite, shared_from_this()));
  }

  void OnSharedWrite(beast::error_code ec, size_t) {
    bool keep = shared_res_ && shared_res_->keep_alive();
    shared_res_.reset();
    shared_body_.reset();
    Finish();
    if (ec || !keep) return Close();
    DoRead();
  }

  void Finish() {
    busy_ = false;
    double secs = (MonotonicMicros() - start_us_) / 1e6;
    if (impl_.observer) impl_.observer(req_, status_, secs);
    --impl_.inflight;
  }

  void OnWrite(beast::error_code ec, size_t) {
    bool keep = res_ && res_->keep_alive();
    res_.reset();
    Finish();
    if (ec || !keep) return Close();
    DoRead();
  }

  void StartStream(Response r) {
    streaming_ = true;
    status_ = r.status;
    std::string head = Head(r, req_.request_id) + "Connection: close\r\n\r\n";
    queued_bytes_ += head.size();
    Finish();  // a stream does not hold up draining
    stream_.expires_never();
    // Watch for the client going away: any read completion ends the stream.
    StartCloseWatch();
    outq_.push_back(std::move(head));
    DoStreamWrite();
    auto sink = std::make_shared<Sink>(shared_from_this());
    r.stream(sink);
  }

  void StartCloseWatch() {
    stream_.socket().async_read_some(net::buffer(watch_buf_),
                                     [self = shared_from_this()](beast::error_code ec, size_t) {
                                       if (ec) return self->Close();
                                       self->StartCloseWatch();
                                     });
  }

  void DoStreamWrite() {
    if (closed_ || outq_.empty()) {
      writing_ = false;
      return;
    }
    writing_ = true;
    current_ = std::move(outq_.front());
    outq_.pop_front();
    stream_.expires_after(std::chrono::seconds(impl_.opts.read_timeout_s));
    net::async_write(stream_, net::buffer(current_),
                     [self = shared_from_this()](beast::error_code ec, size_t n) {
                       self->queued_bytes_ -= n;
                       if (ec) return self->Close();
                       self->DoStreamWrite();
                     });
  }

  // Never for a busy session (one that read a request and has not answered it): SendNow
  // writes its answer on the socket from another thread, and a closed descriptor's number
  // may already belong to another connection.
  void Close() {
    if (closed_) return;
    closed_ = true;
    auto fns = std::move(on_close_);
    on_close_.clear();
    for (auto& f : fns) f();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  class Sink final : public StreamSink {
   public:
    explicit Sink(std::shared_ptr<Session> s) : s_(std::move(s)) {}
    bool Write(std::string data) override { return s_->StreamWrite(std::move(data)); }
    bool closed() const override { return s_->stream_closed(); }
    void OnClose(std::function<void()> fn) override { s_->StreamOnClose(std::move(fn)); }
    void Close() override { s_->StreamClose(); }

   private:
    std::shared_ptr<Session> s_;
  };

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  Server::Impl& impl_;
  std::string remote_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Request req_;
  std::shared_ptr<bhttp::response<bhttp::string_body>> res_;
  std::shared_ptr<bhttp::response<bhttp::span_body<const char>>> shared_res_;
  std::shared_ptr<const std::string> shared_body_;
  bool keep_alive_ = false;
  bool busy_ = false;
  int status_ = 0;
  int64_t start_us_ = 0;
  // streaming
  bool streaming_ = false;
  std::atomic<bool> closed_{false};
  std::atomic<size_t> queued_bytes_{0};
  static constexpr size_t kMaxStreamBuffer = 4 << 20;
  bool writing_ = false;
  std::deque<std::string> outq_;
  std::string current_;
  std::vector<std::function<void()>> on_close_;
  char watch_buf_[512];
};

void Server::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping || ec == net::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors and the like: back off instead of spinning.
      LogWarn("accept failed; retrying in 100 ms", {{"error", ec.message()}});
      accept_backoff.expires_after(std::chrono::milliseconds(100));
      accept_backoff.async_wait([this](beast::error_code) {
        if (!stopping) Accept();
      });
      return;
    }
    if (connections() >= opts.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);  // over the limit: refuse at once, keep serving the others
    } else {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket), *this)->Start();
    }
    Accept();
  });
}

Server::Server(ServerOptions options, Handler handler, CompletionObserver observer)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(observer))) {}

Server::~Server() { Stop(); }

Status Server::Start() {
  beast::error_code ec;
  auto addr = net::ip::make_address(impl_->opts.host, ec);
  if (ec) return InvalidField("listen", "not an IP address: " + impl_->opts.host);
  tcp::endpoint ep(addr, static_cast<unsigned short>(impl_->opts.port));
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return Status(Code::kUnavailable, "cannot listen on " + impl_->opts.host + ":" +
                                          std::to_string(impl_->opts.port) + ": " + ec.message());
  impl_->bound_port = impl_->acceptor.local_endpoint().port();
  impl_->work.emplace(impl_->ioc.get_executor());
  impl_->Accept();
  for (int i = 0; i < impl_->opts.threads; ++i)
    impl_->threads.emplace_back([this] {
      NameThisThread("klaxon-http");
      if (impl_->opts.on_thread_start) impl_->opts.on_thread_start();
      impl_->ioc.run();
    });
  return Status::Ok();
}

int Server::port() const { return impl_->bound_port; }

void Server::Stop() {
  if (!impl_ || impl_->threads.empty()) return;
  if (impl_->stopping.exchange(true)) return;
  net::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  auto close_idle = [this] {
    std::vector<std::shared_ptr<Session>> sessions;
    {
      std::lock_guard lock(impl_->mu);
      for (auto& [p, w] : impl_->live)
        if (auto s = w.lock()) sessions.push_back(std::move(s));
    }
    for (auto& s : sessions) s->Shutdown();
  };
  close_idle();
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(impl_->opts.drain_timeout_s);
  while (impl_->inflight > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (impl_->inflight > 0) LogWarn("drain timed out", {{"in_flight", impl_->inflight.load()}});
  close_idle();
  // Give the closes a moment to run, then stop the loop.
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(impl_->mu);
      if (impl_->live.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

void Server::BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int Server::WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace klaxon::http
