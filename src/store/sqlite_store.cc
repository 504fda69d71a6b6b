// The SQLite (WAL) implementation of Store: one writer thread with group commit, a pool of
// reader connections, versioned migrations at open.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/clock.h"
#include "core/log.h"
#include "core/thread_name.h"
#include "store/inline_writes.h"
#include "store/migrations.h"
#include "store/store.h"
#include "store/wal_vfs.h"

namespace klaxon::store {

namespace {

thread_local bool inline_writes = false;  // store/inline_writes.h

// One sqlite3 connection with a cache of prepared statements. Not thread-safe.
class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st);
    if (db_) sqlite3_close_v2(db_);
  }

  Status Open(const std::string& path, bool readonly) {
    int flags = readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    flags |= SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, WalBufferVfs()) != SQLITE_OK)
      return Unavailable("cannot open " + path + ": " + (db_ ? sqlite3_errmsg(db_) : "?"));
    sqlite3_busy_timeout(db_, 5000);
    sqlite3_extended_result_codes(db_, 1);
    // A developer's aid: KLAXON_SQL_TRACE=1 prints every statement with its run time to stderr.
    const char* t = std::getenv("KLAXON_SQL_TRACE");
    trace_ = t && *t == '1';
    return Status::Ok();
  }

  sqlite3* db() { return db_; }
  bool InTransaction() { return sqlite3_get_autocommit(db_) == 0; }

  Status ExecRaw(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "?";
      sqlite3_free(err);
      return Internal("sqlite: " + m + " in: " + sql.substr(0, 80));
    }
    return Status::Ok();
  }

  // A statement without parameters or rows (BEGIN, SAVEPOINT, COMMIT…), prepared once.
  Status Exec(std::string_view sql) { return Run(sql, {}).status(); }

  Result<std::vector<Row>> Run(std::string_view sql, const Params& params) {
    if (!trace_) return RunUntraced(sql, params);
    // Each line: the statement's time, and the time since this thread's previous
    // statement ended (the C++ between them). Lines are kept per thread and written at
    // the end of a transaction, so the trace's own writes do not show up as gaps.
    thread_local std::string lines;
    thread_local std::chrono::steady_clock::time_point last_end;
    auto start = std::chrono::steady_clock::now();
    auto r = RunUntraced(sql, params);
    auto end = std::chrono::steady_clock::now();
    auto us = [](auto d) {
      return static_cast<long long>(
          std::chrono::duration_cast<std::chrono::microseconds>(d).count());
    };
    char head[64];
    std::snprintf(head, sizeof head, "sql %5lld us +%5lld  ", us(end - start),
                  last_end.time_since_epoch().count() ? us(start - last_end) : 0LL);
    lines += head;
    lines.append(sql.substr(0, 150));
    lines += '\n';
    last_end = end;
    if (sql == "COMMIT" || sql == "ROLLBACK" || lines.size() > 65536) {
      std::fwrite(lines.data(), 1, lines.size(), stderr);
      lines.clear();
      last_end = {};
    }
    return r;
  }

 private:
  Result<std::vector<Row>> RunUntraced(std::string_view sql, const Params& params) {
    sqlite3_stmt* st = Prepare(sql);
    if (!st) return Internal(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
    // Reset with its bindings cleared however this ends: they point into `params`.
    struct Reset {
      sqlite3_stmt* st;
      ~Reset() {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
      }
    } reset{st};
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        sqlite3_bind_null(st, idx);
      } else if (auto p = std::get_if<int64_t>(&v)) {
        sqlite3_bind_int64(st, idx, *p);
      } else if (auto p = std::get_if<double>(&v)) {
        sqlite3_bind_double(st, idx, *p);
      } else {
        // `params` (and the text a TextRef borrows) outlives the statement's run (`reset`
        // clears the bindings), so SQLite reads the text where it is instead of copying it.
        auto ref = std::get_if<TextRef>(&v);
        std::string_view s = ref ? ref->text : std::string_view(std::get<std::string>(v));
        // A null pointer would bind NULL, not '' (an empty string_view may have one).
        sqlite3_bind_text(st, idx, s.data() ? s.data() : "", static_cast<int>(s.size()),
                          SQLITE_STATIC);
      }
    }
    std::vector<Row> rows;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      int n = sqlite3_column_count(st);
      std::vector<Value> vals;
      vals.reserve(n);
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(st, c)) {
          case SQLITE_NULL:
            vals.emplace_back(nullptr);
            break;
          case SQLITE_INTEGER:
            vals.emplace_back(int64_t{sqlite3_column_int64(st, c)});
            break;
          case SQLITE_FLOAT:
            vals.emplace_back(sqlite3_column_double(st, c));
            break;
          default: {
            auto p = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
            vals.emplace_back(std::string(p ? p : "", sqlite3_column_bytes(st, c)));
          }
        }
      }
      rows.emplace_back(std::move(vals));
    }
    Status result = Status::Ok();
    if (rc != SQLITE_DONE) {
      int ext = sqlite3_extended_errcode(db_);
      std::string m = sqlite3_errmsg(db_);
      if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        result = Conflict("already exists: " + m);
      else
        result = Internal("sqlite: " + m);
    }
    if (!result.ok()) return result;
    return rows;
  }

  sqlite3_stmt* Prepare(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &st, nullptr) != SQLITE_OK)
      return nullptr;
    cache_.emplace(std::string(sql), st);
    return st;
  }

  sqlite3* db_ = nullptr;
  bool trace_ = false;
  // Looked up by string_view: a statement's text is not copied to find it.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
};

// A Tx over one connection for the length of one command or read. Not thread-safe.
class SqliteTx final : public Tx {
 public:
  SqliteTx(Connection& c, bool read_only) : conn_(c), read_only_(read_only) {}
  Result<std::vector<Row>> Query(std::string_view sql, const Params& params) override {
    return conn_.Run(sql, params);
  }
  Status Exec(std::string_view sql, const Params& params) override {
    auto r = conn_.Run(sql, params);
    return r.ok() ? Status::Ok() : r.status();
  }
  Result<int64_t> Insert(std::string_view sql, const Params& params) override {
    auto r = conn_.Run(sql, params);
    if (!r.ok()) return r.status();
    return int64_t{sqlite3_last_insert_rowid(conn_.db())};
  }
  void OnCommit(std::function<void()> fn) override { hooks_.push_back(std::move(fn)); }
  bool read_only() const override { return read_only_; }
  std::vector<std::function<void()>> TakeHooks() { return std::move(hooks_); }

 private:
  Connection& conn_;
  bool read_only_;
  std::vector<std::function<void()>> hooks_;
};

// The Store: owns the writer connection and its thread, and the reader pool.
class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteOptions o) : opts_(std::move(o)) {}
  ~SqliteStore() override { Shutdown(); }

  Status Open() {
    KLAXON_RETURN_IF_ERROR(writer_.Open(opts_.path, false));
    KLAXON_RETURN_IF_ERROR(writer_.ExecRaw("PRAGMA journal_mode=WAL"));
    // Durable commits without making the writer wait for the disk: the writer's commits
    // write their WAL frames (in one write: store/wal_vfs.h) but do not flush them, and it
    // goes on with the next batch, while the syncer thread flushes the WAL (one fdatasync
    // for every commit since the last) and only then answers the commands. A reply still
    // means "on disk". synchronous=FULL is what makes SQLite write the frames out at each
    // commit; on the writer's thread that sync stops short of the disk (DeferWalSync).
    KLAXON_RETURN_IF_ERROR(writer_.ExecRaw("PRAGMA synchronous=FULL"));
    KLAXON_RETURN_IF_ERROR(writer_.ExecRaw("PRAGMA foreign_keys=ON"));
    // A 64 MiB page cache keeps large group commits from spilling to disk mid-transaction.
    KLAXON_RETURN_IF_ERROR(writer_.ExecRaw("PRAGMA cache_size=-65536"));
    // Checkpoints run on their own thread and connection, not inside a commit: a commit
    // that had to copy ~1,000 pages into the database and fsync it was the writer's
    // latency tail. The WAL hook tells that thread how long the WAL has grown.
    KLAXON_RETURN_IF_ERROR(writer_.ExecRaw("PRAGMA wal_autocheckpoint=0"));
    // Under sustained writes the checkpointer cannot catch up and the WAL grows (590 MB
    // after 100,000 alerts in one burst); when it next restarts from the beginning, it is
    // cut back to 64 MiB instead of keeping its largest size on disk.
    KLAXON_RETURN_IF_ERROR(writer_.ExecRaw("PRAGMA journal_size_limit=67108864"));
    DeferWalSync(true);  // this thread is the writer until the writer thread starts
    Status migrated = Migrate();
    DeferWalSync(false);
    KLAXON_RETURN_IF_ERROR(migrated);
    for (size_t i = 0; i < opts_.readers; ++i) {
      auto c = std::make_unique<Connection>();
      KLAXON_RETURN_IF_ERROR(c->Open(opts_.path, true));
      readers_.push_back(std::move(c));
      free_readers_.push_back(readers_.back().get());
    }
    KLAXON_RETURN_IF_ERROR(checkpointer_.Open(opts_.path, false));
    sqlite3_busy_timeout(checkpointer_.db(), 0);
    (void)checkpointer_.ExecRaw(std::string("PRAGMA synchronous=") +
                                (opts_.synchronous_full ? "FULL" : "NORMAL"));
    sqlite3_wal_hook(writer_.db(), &SqliteStore::OnWal, this);
    if (opts_.synchronous_full) {
      const char* wal = sqlite3_filename_wal(sqlite3_db_filename(writer_.db(), "main"));
      wal_path_ = wal ? wal : opts_.path + "-wal";
      // Each syncer's descriptor is opened here, not on its first flush under load (when
      // a process short of descriptors would fail every commit not yet answered).
      for (int& fd : sync_fds_) {
        fd = ::open(wal_path_.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) return Unavailable("cannot open " + wal_path_ + " to flush it");
      }
      KLAXON_RETURN_IF_ERROR(FlushWal(sync_fds_[0]));  // the migrations
      for (size_t i = 0; i < std::size(sync_threads_); ++i)
        sync_threads_[i] = std::thread([this, fd = sync_fds_[i]] {
          NameThisThread("klaxon-sync");
          SyncLoop(fd);
        });
    }
    checkpoint_thread_ = std::thread([this] {
      NameThisThread("klaxon-ckpt");
      CheckpointLoop();
    });
    thread_ = std::thread([this] {
      NameThisThread("klaxon-writer");
      WriterLoop();
    });
    return Status::Ok();
  }

  void Submit(WriteFn fn, DoneFn done) override { Enqueue(std::move(fn), std::move(done), false); }

  void SubmitRerunnable(WriteFn fn, DoneFn done) override {
    Enqueue(std::move(fn), std::move(done), true);
  }

  void Enqueue(WriteFn fn, DoneFn done, bool rerunnable) {
    Status refused;
    bool run_here = false;
    {
      std::lock_guard lock(mu_);
      if (stopping_)
        refused = Unavailable("store is shutting down");
      else if (failed_)
        refused = Unavailable("store failed: " + failure_);
      else if (queue_.size() >= opts_.max_queue)
        refused = Unavailable("store write queue is full");
      else if (inline_writes && opts_.synchronous_full && !writer_busy_ && queue_.empty() &&
               MonotonicMicros() - last_batch_end_us_ >= kQuietMicros)
        writer_busy_ = run_here = true;  // store/inline_writes.h
      else
        queue_.push_back({std::move(fn), std::move(done), rerunnable});
    }
    // Refusals complete on the caller's thread, outside the lock.
    if (!refused.ok()) return done(refused);
    if (run_here) return RunHere({std::move(fn), std::move(done), rerunnable});
    cv_.notify_one();
  }

  Status Read(const std::function<Status(Tx&)>& fn) override {
    Connection* c;
    {
      std::unique_lock lock(reader_mu_);
      reader_cv_.wait(lock, [&] { return !free_readers_.empty(); });
      c = free_readers_.back();
      free_readers_.pop_back();
    }
    // The connection always goes back to the pool with its snapshot ended, even if `fn` throws.
    struct Release {
      SqliteStore* self;
      Connection* c;
      ~Release() {
        (void)c->Exec("ROLLBACK");
        {
          std::lock_guard lock(self->reader_mu_);
          self->free_readers_.push_back(c);
        }
        self->reader_cv_.notify_one();
      }
    } release{this, c};
    KLAXON_RETURN_IF_ERROR(c->Exec("BEGIN"));
    SqliteTx tx(*c, true);
    try {
      return fn(tx);
    } catch (const std::exception& e) {
      return Internal(std::string("read failed: ") + e.what());
    }
  }

  Status Ready() override {
    std::lock_guard lock(mu_);
    if (failed_) return Unavailable("store failed: " + failure_);
    if (!migrated_) return Unavailable("migrations not applied");
    return Status::Ok();
  }

  void Shutdown() override {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    {
      std::unique_lock lock(mu_);  // a command running on a submitting thread ends first
      cv_.wait(lock, [&] { return !writer_busy_; });
    }
    {
      std::lock_guard lock(sync_mu_);
      sync_stop_ = true;
    }
    sync_cv_.notify_all();
    for (auto& t : sync_threads_)
      if (t.joinable()) t.join();
    for (int& fd : sync_fds_) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
    // One last full checkpoint so the database file holds everything at rest.
    if (writer_.db()) (void)writer_.ExecRaw("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  void SetCommitObserver(std::function<void(double, size_t)> fn) override {
    std::lock_guard lock(mu_);
    observer_ = std::move(fn);
  }

 private:
  struct Command {
    WriteFn fn;
    DoneFn done;
    bool rerunnable = false;  // Store::SubmitRerunnable
  };

  Status Migrate() {
    KLAXON_RETURN_IF_ERROR(writer_.ExecRaw(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
    auto rows = writer_.Run("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
    if (!rows.ok()) return rows.status();
    int64_t current = rows->front().Int(0);
    for (const Migration& m : SqliteMigrations()) {
      if (m.version <= current) continue;
      KLAXON_RETURN_IF_ERROR(writer_.ExecRaw("BEGIN IMMEDIATE"));
      Status s = writer_.ExecRaw(std::string(m.sql));
      if (s.ok()) {
        auto r =
            writer_.Run("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?,?,?)",
                        {int64_t{m.version}, std::string(m.name), int64_t{WallNowMs()}});
        if (!r.ok()) s = r.status();
      }
      if (!s.ok()) {
        (void)writer_.ExecRaw("ROLLBACK");
        return Status(s.code(), "migration " + std::to_string(m.version) + " (" +
                                    std::string(m.name) + "): " + s.message());
      }
      KLAXON_RETURN_IF_ERROR(writer_.ExecRaw("COMMIT"));
      LogInfo("migration applied", {{"version", m.version}, {"name", m.name}});
    }
    migrated_ = true;
    return Status::Ok();
  }

  // After each commit on the writer: `frames` is the WAL's length in pages.
  static int OnWal(void* self, sqlite3*, const char*, int frames) {
    auto* store = static_cast<SqliteStore*>(self);
    store->wal_frames_.store(frames, std::memory_order_relaxed);
    if (frames >= store->opts_.wal_catch_up_frames / 2) {
      {
        std::lock_guard lock(store->checkpoint_mu_);
        store->checkpoint_wanted_ = true;
      }
      store->checkpoint_cv_.notify_one();
    }
    return SQLITE_OK;
  }

  void CheckpointLoop() {
    std::unique_lock lock(checkpoint_mu_);
    for (;;) {
      // Also every few seconds, so a quiet server's WAL is folded in soon after a burst.
      checkpoint_cv_.wait_for(lock, std::chrono::seconds(5),
                              [&] { return checkpoint_stop_ || checkpoint_wanted_; });
      if (checkpoint_stop_) return;
      checkpoint_wanted_ = false;
      lock.unlock();
      Checkpoint(checkpointer_);
      lock.lock();
    }
  }

  // Flushes the WAL file to disk: fdatasync on our own descriptor of it flushes what the
  // writer's connection wrote (the flush is per file, not per descriptor). SQLite names
  // the WAL file (it resolves symlinks in the database path). Each syncer has its own
  // descriptor: Linux reports a write-back error once per open file, so each of them sees
  // every error that happens while it flushes.
  Status FlushWal(int fd) {
    if (::fdatasync(fd) != 0) return Unavailable("flushing " + wal_path_ + " to disk failed");
    return Status::Ok();
  }

  // Answers committed batches once the WAL holding them is on disk, in commit order. Two
  // syncers take turns: a commit that comes while one flush is running starts the next
  // at once on the other, instead of waiting for the first to end and then for its own
  // (a batch-1 request's answer waited ~1.5 flushes on average, ~1 now: bench/RESULTS.md,
  // intake Run 9). A flush covers every commit written before it began, so whichever
  // ends answers all of those not yet answered. A failed flush is never retried (Linux
  // reports a write-back error once, so a later fdatasync that succeeds says nothing about
  // the frames that were lost): it fails every commit not yet answered, and the store.
  void SyncLoop(int fd) {
    std::vector<Committed> ready;
    for (;;) {
      uint64_t target;
      {
        std::unique_lock lock(sync_mu_);
        sync_cv_.wait(lock, [&] { return sync_stop_ || committed_seq_ > flushing_seq_; });
        if (committed_seq_ <= flushing_seq_) break;  // stopping, and every commit is covered
        target = flushing_seq_ = committed_seq_;
      }
      Status synced = FlushWal(fd);
      uint64_t ticket;
      bool first_failure = false;
      {
        std::lock_guard lock(sync_mu_);
        if (!synced.ok() && sync_failure_.ok()) {
          sync_failure_ = synced;
          first_failure = true;
        }
        if (!sync_failure_.ok()) synced = sync_failure_;
        while (!sync_pending_.empty() && sync_pending_.front().seq <= target) {
          ready.push_back(std::move(sync_pending_.front()));
          sync_pending_.pop_front();
        }
        ticket = answer_tickets_++;
      }
      if (first_failure) {
        std::lock_guard lock(mu_);
        failed_ = true;
        failure_ = synced.message();
        LogError("store flush failed; refusing further writes", {{"error", failure_}});
      }
      {
        std::unique_lock lock(answer_mu_);  // answers go out in the order they were taken
        answer_cv_.wait(lock, [&] { return answer_turn_ == ticket; });
      }
      for (auto& c : ready)
        for (size_t i = 0; i < c.done.size(); ++i) c.done[i](synced.ok() ? c.results[i] : synced);
      {
        std::lock_guard lock(answer_mu_);
        ++answer_turn_;
      }
      answer_cv_.notify_all();
      ready.clear();
    }
  }

  void WriterLoop() {
    DeferWalSync(true);
    std::vector<Command> batch;
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] {
          return (stopping_ && queue_.empty()) || (!queue_.empty() && !writer_busy_);
        });
        if (queue_.empty()) return;  // stopping
        while (!queue_.empty() && batch.size() < opts_.max_batch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        writer_busy_ = true;
      }
      RunBatch(batch);
      batch.clear();
      CatchUpCheckpoint();
      {
        std::lock_guard lock(mu_);
        writer_busy_ = false;
        last_batch_end_us_ = MonotonicMicros();
      }
    }
  }

  // Under a steady stream of writes the background checkpoint never catches up: the
  // writer appends while it copies, so the WAL is never wholly copied, never starts over,
  // and grows (hundreds of MB in a minute of intake). Appending to it costs every flush a
  // journal commit for the new file size (an fdatasync 2-3x slower than one that
  // overwrites). So once the WAL is long, the writer, between two batches, copies the
  // rest itself: the background checkpoint has done most of it, nothing is appended
  // meanwhile, and the next transaction starts the WAL over from its beginning. A
  // background checkpoint still running is waited for (two at once would fail), and the
  // WAL is flushed first, as a checkpoint must (DeferWalSync stops it otherwise).
  void CatchUpCheckpoint() {
    if (wal_frames_.load(std::memory_order_relaxed) < opts_.wal_catch_up_frames) return;
    DeferWalSync(false);
    Checkpoint(writer_);
    DeferWalSync(true);
  }

  // One PASSIVE checkpoint on `c`: copies what no reader still needs, never waits for or
  // blocks the writer; one at a time (the background thread's or the writer's).
  void Checkpoint(Connection& c) {
    std::lock_guard run(checkpoint_run_mu_);
    int rc =
        sqlite3_wal_checkpoint_v2(c.db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
      LogWarn("checkpoint failed", {{"error", sqlite3_errmsg(c.db())}});
  }

  // A command run on the submitting thread while the writer thread is idle (Submit).
  void RunHere(Command command) {
    // Whatever happens in the batch, the store is handed back: an exception escaping
    // onto the HTTP thread must not leave the writer thread waiting for good.
    struct HandBack {
      SqliteStore* self;
      ~HandBack() {
        DeferWalSync(false);
        std::lock_guard lock(self->mu_);
        self->writer_busy_ = false;
        self->last_batch_end_us_ = MonotonicMicros();
        // Under the lock: a Shutdown that sees the store free may destroy it at once. The
        // writer thread only if something queued meanwhile (else it would wake to find
        // nothing, on the other CPU, just as the page this batch made goes out); Shutdown
        // only once it set stopping_.
        if (!self->queue_.empty() || self->stopping_) self->cv_.notify_all();
      }
    } hand_back{this};
    std::vector<Command> batch;
    batch.push_back(std::move(command));
    DeferWalSync(true);  // this thread is the writer for this batch
    RunBatch(batch);
  }

  // One transaction for the batch. Each command runs in a savepoint of its own, so that
  // one that fails rolls back alone, except the batch's leading rerunnable commands
  // (Store::SubmitRerunnable) before `bare_limit`: a savepoint makes SQLite copy each page
  // its command first changes, which for small commands is a fifth of the writer's time.
  // When one of those fails, the transaction is rolled back and the batch run again: the
  // commands before it bare again (they succeeded), it and the rest with savepoints. The
  // limit only shrinks, so a batch runs at most as many times as it has commands.
  void RunBatch(std::vector<Command>& batch, size_t bare_limit = SIZE_MAX) {
    {
      // Commands queued before a sticky failure are refused too.
      std::unique_lock lock(mu_);
      if (failed_) {
        std::string why = failure_;
        lock.unlock();
        for (auto& c : batch) c.done(Unavailable("store failed: " + why));
        return;
      }
    }
    int64_t start = MonotonicMicros();
    std::vector<Status> results(batch.size());
    std::vector<std::function<void()>> hooks;
    Status begin = writer_.Exec("BEGIN IMMEDIATE");
    if (!begin.ok()) {
      for (auto& c : batch) c.done(Unavailable(begin.message()));
      return;
    }
    Status broken;         // set when SQLite abandoned the whole transaction (disk full, I/O error)
    bool bare_run = true;  // every command so far ran without a savepoint
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!broken.ok()) {
        results[i] = broken;
        continue;
      }
      bool bare = bare_run && batch[i].rerunnable && i < bare_limit;
      bare_run = bare;
      Status s = bare ? Status::Ok() : writer_.Exec("SAVEPOINT cmd");
      if (s.ok()) {
        SqliteTx tx(writer_, false);
        try {
          s = batch[i].fn(tx);
        } catch (const std::exception& e) {
          s = Internal(std::string("exception in write command: ") + e.what());
        }
        if (s.ok()) {
          if (!bare) s = writer_.Exec("RELEASE cmd");
          if (s.ok())
            for (auto& h : tx.TakeHooks()) hooks.push_back(std::move(h));
        } else if (!writer_.InTransaction()) {
          // The error ended the transaction: nothing to roll back to.
        } else if (bare) {
          // Its writes can only go with the whole transaction's, which holds nothing but
          // rerunnable commands: roll it back, drop their hooks unrun (now, not after the
          // rerun: a prepared page's hook answers "not committed" when dropped), and run the
          // batch again.
          (void)tx.TakeHooks();
          hooks.clear();
          Status rolled_back = writer_.Exec("ROLLBACK");
          if (rolled_back.ok()) return RunBatch(batch, i);
          s = rolled_back;
          if (writer_.InTransaction()) {  // not rolled back: nothing of it may commit
            broken = Unavailable("store transaction not rolled back: " + s.message());
            for (size_t j = 0; j <= i; ++j) results[j] = broken;
            continue;
          }
        } else {
          (void)writer_.Exec("ROLLBACK TO cmd");
          (void)writer_.Exec("RELEASE cmd");
        }
      }
      if (!writer_.InTransaction()) {
        // Earlier commands of this batch are gone with the transaction; fail them all.
        broken = Unavailable("store transaction aborted: " + s.message());
        for (size_t j = 0; j <= i; ++j) results[j] = broken;
        hooks.clear();
        continue;
      }
      results[i] = s;
    }
    if (!broken.ok()) {
      std::lock_guard lock(mu_);
      failed_ = true;
      failure_ = broken.message();
      LogError("store transaction aborted; refusing further writes", {{"error", failure_}});
    }
    Status commit = broken.ok() ? writer_.Exec("COMMIT") : broken;
    double secs = (MonotonicMicros() - start) / 1e6;
    std::function<void(double, size_t)> observer;
    if (!commit.ok()) {
      if (writer_.InTransaction()) (void)writer_.ExecRaw("ROLLBACK");
      std::lock_guard lock(mu_);
      failed_ = true;
      failure_ = commit.message();
      LogError("store commit failed; refusing further writes", {{"error", failure_}});
    } else {
      std::lock_guard lock(mu_);
      observer = observer_;
    }
    if (commit.ok()) {
      for (auto& h : hooks) {
        // A committed change's hooks all run: one that throws does not cancel the rest.
        try {
          h();
        } catch (const std::exception& e) {
          LogError("commit hook failed", {{"error", e.what()}});
        }
      }
      if (observer) observer(secs, batch.size());
    }
    if (commit.ok() && opts_.synchronous_full) {
      Committed c;
      c.done.reserve(batch.size());
      for (auto& cmd : batch) c.done.push_back(std::move(cmd.done));
      c.results = std::move(results);
      // What the commands and hooks hold (request bodies, events) is freed by the syncer,
      // not by this thread, which every write waits for.
      c.spent_hooks = std::move(hooks);
      c.spent_fns.reserve(batch.size());
      for (auto& cmd : batch) c.spent_fns.push_back(std::move(cmd.fn));
      {
        std::lock_guard lock(sync_mu_);
        c.seq = ++committed_seq_;
        sync_pending_.push_back(std::move(c));
      }
      sync_cv_.notify_one();
      return;
    }
    for (size_t i = 0; i < batch.size(); ++i)
      batch[i].done(commit.ok() ? results[i] : Unavailable("commit failed: " + commit.message()));
  }

  // A write runs on its submitter only after this long without any: under load commands
  // keep going to the writer thread, which commits them in batches.
  static constexpr int64_t kQuietMicros = 2000;

  // A committed batch waiting for the WAL flush: its commands' answers.
  struct Committed {
    uint64_t seq = 0;  // commits are numbered from 1, in order
    std::vector<DoneFn> done;
    std::vector<Status> results;
    std::vector<std::function<void()>> spent_hooks;  // run; freed by the syncer
    std::vector<WriteFn> spent_fns;                  // run; freed by the syncer
  };

  SqliteOptions opts_;
  Connection writer_;
  Connection checkpointer_;
  std::mutex checkpoint_mu_;
  std::mutex checkpoint_run_mu_;  // held while a checkpoint runs (background or writer)
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool checkpoint_stop_ = false;
  std::thread checkpoint_thread_;
  // The syncer (synchronous_full only): committed batches wait here for the WAL flush.
  std::string wal_path_;
  std::mutex sync_mu_;  // guards the fields down to sync_stop_
  std::condition_variable sync_cv_;
  std::deque<Committed> sync_pending_;  // committed, not yet answered, in order
  uint64_t committed_seq_ = 0;          // the last commit handed to the syncers
  uint64_t flushing_seq_ = 0;           // the last commit a started flush covers
  uint64_t answer_tickets_ = 0;         // flushes that ended, numbered in order
  Status sync_failure_;                 // sticky: set by the first failed flush
  bool sync_stop_ = false;
  std::mutex answer_mu_;
  std::condition_variable answer_cv_;
  uint64_t answer_turn_ = 0;  // the ticket whose answers go out next
  std::thread sync_threads_[2];
  int sync_fds_[2] = {-1, -1};  // each syncer's own descriptor of the WAL file
  std::vector<std::unique_ptr<Connection>> readers_;
  std::vector<Connection*> free_readers_;
  std::mutex reader_mu_;
  std::condition_variable reader_cv_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Command> queue_;
  bool stopping_ = false;
  std::atomic<int> wal_frames_{0};  // the WAL's length in pages at the last commit
  bool writer_busy_ = false;        // a batch is running, on the writer thread or a submitter's
  int64_t last_batch_end_us_ = 0;   // MonotonicMicros()
  bool failed_ = false;
  bool migrated_ = false;
  std::string failure_;
  std::function<void(double, size_t)> observer_;
  std::thread thread_;
};

}  // namespace

void AllowInlineWrites(bool allow) { inline_writes = allow; }

Result<std::unique_ptr<Store>> OpenSqlite(const SqliteOptions& options) {
  // Statement journals: every write statement inside a command's savepoint journals the
  // pages it changes so it can be undone alone. SQLite keeps that journal in memory in
  // chunks as large as the spill threshold and truncates it by walking the chunks from
  // the start, once per statement. With temp_store=MEMORY the chunks were 1 KiB and a
  // 100-alert command's journal a few thousand of them: that walk was a fifth of the
  // writer's time (bench/RESULTS.md, intake Run 3). 8 MiB chunks make it a step or two;
  // a command that journals more than that spills to a temporary file.
  static const bool configured = [] {
    // Only before SQLite initialises: a process that used it already keeps the default.
    bool ok = sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 8 << 20) == SQLITE_OK;
    if (!ok) LogWarn("sqlite: statement journal spill size not set (SQLite already in use)");
    return ok;
  }();
  (void)configured;
  std::error_code ec;
  auto parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  auto s = std::make_unique<SqliteStore>(options);
  KLAXON_RETURN_IF_ERROR(s->Open());
  return std::unique_ptr<Store>(std::move(s));
}

}  // namespace klaxon::store
