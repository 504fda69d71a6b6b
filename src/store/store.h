// The Store: transactions over the embedded SQLite file (later also PostgreSQL).
//
// Domain code talks to a Tx with portable SQL (`?` placeholders, `RETURNING`, no
// backend-specific functions). Writes go through one writer thread that group-commits
// concurrent commands: each command runs inside its own SAVEPOINT of a shared
// transaction, and its completion callback runs only after the COMMIT that holds it.
// A failed commit is sticky: the store reports unhealthy and refuses further writes.
// Store implementations are thread-safe; a Tx belongs to one thread for one call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"

namespace klaxon::store {

// Text a parameter borrows instead of owning: whoever builds the parameters keeps the text
// alive and unchanged until the statement has run. For the multi-row INSERTs of intake,
// whose strings already live in the request (copying them was a twentieth of the
// writer's time per new alert). Query results never hold one.
struct TextRef {
  std::string_view text;
};
using Value = std::variant<std::nullptr_t, int64_t, double, std::string, TextRef>;
using Params = std::vector<Value>;

// Helpers to build parameters from optional values.
inline Value Opt(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(nullptr); }

// Multi-row statements: `INSERT … VALUES (?,?),(?,?)…` for `rows` rows of `columns`
// placeholders, between `head` and `tail`. Callers split their rows with MultiRowChunk so
// a connection's statement cache holds at most four variants of each statement.
std::string MultiRowSql(std::string_view head, size_t columns, size_t rows, std::string_view tail);
// Rows for the next statement when `left` rows remain: 64, 16, 4 or 1.
inline size_t MultiRowChunk(size_t left) {
  return left >= 64 ? 64 : left >= 16 ? 16 : left >= 4 ? 4 : 1;
}

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  bool IsNull(size_t i) const { return std::holds_alternative<std::nullptr_t>(values_.at(i)); }
  int64_t Int(size_t i) const;
  double Real(size_t i) const;
  std::string Str(size_t i) const;
  std::optional<int64_t> OptInt(size_t i) const {
    return IsNull(i) ? std::nullopt : std::optional<int64_t>(Int(i));
  }
  size_t size() const { return values_.size(); }

 private:
  std::vector<Value> values_;
};

class Tx {
 public:
  virtual ~Tx() = default;
  virtual Result<std::vector<Row>> Query(std::string_view sql, const Params& params = {}) = 0;
  virtual Status Exec(std::string_view sql, const Params& params = {}) = 0;
  // Runs an INSERT and returns the id (rowid) of its last row; a multi-row INSERT gives its
  // rows consecutive ids in VALUES order. Cheaper than RETURNING, which makes SQLite build
  // a temporary table for every statement. Not for INSERT OR IGNORE / ON CONFLICT, whose
  // skipped rows leave gaps.
  virtual Result<int64_t> Insert(std::string_view sql, const Params& params) = 0;
  // Runs `fn` after the transaction holding this command commits (writer thread, in
  // commit order). Dropped if the command or the transaction fails.
  virtual void OnCommit(std::function<void()> fn) = 0;
  virtual bool read_only() const = 0;

  // First row of a query, or nullopt when it returned none.
  Result<std::optional<Row>> QueryOne(std::string_view sql, const Params& params = {});
};

struct StoreStats {
  uint64_t commits = 0;
  uint64_t commands = 0;
};

class Store {
 public:
  using WriteFn = std::function<Status(Tx&)>;
  using DoneFn = std::function<void(const Status&)>;

  virtual ~Store() = default;

  // Queues a write command. `done` runs after its commit is on disk (or after a failure),
  // in commit order, on the store's writer or syncer thread; keep it short (post the rest
  // elsewhere) and never wait on the store from it.
  virtual void Submit(WriteFn fn, DoneFn done) = 0;
  // Submit for a command that may run more than once before it commits, which lets the
  // store run it without a savepoint of its own (SQLite copies every page a savepoint's
  // command first changes: a fifth of intake's writer time, bench/RESULTS.md intake
  // Run 10). `fn` must give the same outcome each time: it uses its captures without
  // moving from them, and what it changes outside the Tx is harmless to repeat or to
  // have rolled back (a hint checked against the rows, a cache entry overwritten or
  // dropped, a prepared page whose hook answers "not committed" when dropped); effects go
  // in OnCommit hooks, which a rolled back attempt never runs.
  virtual void SubmitRerunnable(WriteFn fn, DoneFn done) { Submit(std::move(fn), std::move(done)); }
  // Submit and wait.
  Status Write(WriteFn fn);
  // Runs `fn` in a read transaction on a reader connection.
  virtual Status Read(const std::function<Status(Tx&)>& fn) = 0;
  // Store reachable, migrations applied, no sticky failure.
  virtual Status Ready() = 0;
  // Stops accepting commands, commits what is queued, joins the writer.
  virtual void Shutdown() = 0;
  // Called after every commit with its duration and batch size (for metrics).
  virtual void SetCommitObserver(std::function<void(double seconds, size_t batch)> fn) = 0;
};

struct SqliteOptions {
  std::string path;
  bool synchronous_full = true;  // fsync at every commit (durable across power loss)
  size_t readers = 4;
  size_t max_batch = 256;
  size_t max_queue = 100000;
  // The WAL length (pages) from which the writer finishes a checkpoint itself between two
  // batches, so that the WAL starts over (see CatchUpCheckpoint): 16,000 pages is 64 MiB,
  // the size the WAL file is cut back to. The background checkpoint starts at half of it
  // (and every 5 s): a page written many times while the WAL grows is copied once per
  // checkpoint, so starting at 1,000 pages, as before, copied the same hot pages (the
  // tables' last leaves) over and over: 18-20 % of a core under intake load, against 6 %
  // now, and 10-20 % more alerts/s (bench/RESULTS.md, intake Run 8).
  int wal_catch_up_frames = 16000;
};

// Opens (creating if needed) the SQLite store and applies migrations.
Result<std::unique_ptr<Store>> OpenSqlite(const SqliteOptions& options);

// Opens the store named by a URL: "sqlite:PATH" (PostgreSQL follows later).
Result<std::unique_ptr<Store>> OpenStore(std::string_view url, const SqliteOptions& defaults);

}  // namespace klaxon::store
