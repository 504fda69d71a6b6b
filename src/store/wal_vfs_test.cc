#include "store/wal_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/test_store.h"

namespace klaxon::store {
namespace {

// Raw connections through the buffering VFS: what the store's writer, readers and
// checkpointer do, without the store around them.
class WalVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("klaxon_wal_vfs_test");
    ASSERT_FALSE(dir_.empty());
    path_ = dir_ + "/t.db";
    writer_ = Open();
    Exec(writer_, "PRAGMA journal_mode=WAL");
    Exec(writer_, "PRAGMA synchronous=FULL");
    Exec(writer_, "PRAGMA wal_autocheckpoint=0");
    Exec(writer_, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  }
  void TearDown() override {
    DeferWalSync(false);
    for (sqlite3* db : {reader_, writer_})
      if (db) sqlite3_close_v2(db);
    std::filesystem::remove_all(dir_);
  }

  sqlite3* Open() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                              WalBufferVfs()),
              SQLITE_OK);
    return db;
  }
  static void Exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "?") << " in " << sql;
  }
  static int64_t Int(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
  }
  static std::string Text(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
    std::string v;
    if (sqlite3_step(st) == SQLITE_ROW)
      v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
  }
  // `rows` rows of 3 KB each, in one transaction.
  void InsertRows(int from, int rows) {
    Exec(writer_, "BEGIN");
    for (int i = from; i < from + rows; ++i)
      Exec(writer_, "INSERT INTO t(id, v) VALUES (" + std::to_string(i) + ", printf('%.3000d', " +
                        std::to_string(i) + "))");
    Exec(writer_, "COMMIT");
  }

  std::string dir_, path_;
  sqlite3* writer_ = nullptr;
  sqlite3* reader_ = nullptr;
};

TEST_F(WalVfsTest, AnotherConnectionSeesEveryCommitWhole) {
  DeferWalSync(true);  // as on the store's writer thread
  reader_ = Open();
  for (int round = 0; round < 20; ++round) {
    InsertRows(round * 10, 10);
    EXPECT_EQ(Int(reader_, "SELECT COUNT(*) FROM t"), (round + 1) * 10);
  }
  EXPECT_EQ(Text(reader_, "PRAGMA integrity_check"), "ok");
}

TEST_F(WalVfsTest, CommitsLargerThanOneWriteAndTheBuffer) {
  // 4,000 rows of 3 KB: about 15 MB of frames, past the 120 KiB a write may carry and
  // the 8 MiB the buffer holds.
  DeferWalSync(true);
  InsertRows(0, 4000);
  reader_ = Open();
  EXPECT_EQ(Int(reader_, "SELECT COUNT(*) FROM t"), 4000);
  EXPECT_EQ(Int(reader_, "SELECT SUM(length(v)) FROM t"), 4000 * 3000);
  EXPECT_EQ(Text(reader_, "PRAGMA integrity_check"), "ok");
}

TEST_F(WalVfsTest, PagesSpilledMidTransactionReadBackAndRollBack) {
  // A tiny page cache makes SQLite write frames before the commit and read them again.
  Exec(writer_, "PRAGMA cache_size=10");
  DeferWalSync(true);
  InsertRows(0, 100);
  Exec(writer_, "BEGIN");
  for (int i = 100; i < 400; ++i) {
    Exec(writer_, "INSERT INTO t(id, v) VALUES (" + std::to_string(i) + ", printf('%.3000d', 1))");
    if (i % 50 == 0) {
      EXPECT_EQ(Int(writer_, "SELECT COUNT(*) FROM t"), i + 1);
    }
  }
  Exec(writer_, "ROLLBACK");
  InsertRows(1000, 50);  // written over the rolled-back frames
  reader_ = Open();
  EXPECT_EQ(Int(reader_, "SELECT COUNT(*) FROM t"), 150);
  EXPECT_EQ(Text(reader_, "PRAGMA integrity_check"), "ok");
}

TEST_F(WalVfsTest, TheWriterSyncsOnlyAtANewHandleAndANewWalHeader) {
  DeferWalSync(true);
  InsertRows(0, 10);  // the handle's first sync, the new WAL's header
  uint64_t before = WalSyncsToDisk();
  for (int round = 1; round <= 5; ++round) InsertRows(round * 10, 10);
  EXPECT_EQ(WalSyncsToDisk(), before);  // commits: left to the store's syncer
  DeferWalSync(false);                  // the checkpointer syncs for real
  Exec(writer_, "PRAGMA wal_checkpoint(TRUNCATE)");
  DeferWalSync(true);
  before = WalSyncsToDisk();
  InsertRows(100, 10);  // restarts the WAL: its new header is synced before the frames
  EXPECT_EQ(WalSyncsToDisk(), before + 1);
  InsertRows(200, 10);
  EXPECT_EQ(WalSyncsToDisk(), before + 1);
}

TEST_F(WalVfsTest, CheckpointRestartAndReopenKeepEverything) {
  DeferWalSync(true);
  Exec(writer_, "PRAGMA journal_size_limit=65536");
  for (int round = 0; round < 5; ++round) {
    InsertRows(round * 100, 100);
    DeferWalSync(false);  // the checkpointer's real syncs
    Exec(writer_, "PRAGMA wal_checkpoint(TRUNCATE)");
    DeferWalSync(true);
  }
  sqlite3_close_v2(writer_);
  writer_ = Open();
  EXPECT_EQ(Int(writer_, "SELECT COUNT(*) FROM t"), 500);
  EXPECT_EQ(Text(writer_, "PRAGMA integrity_check"), "ok");
}

// A checkpoint of ~3 MB starts the database file's write-back every MiB on the way, and
// everything reads back after a reopen.
TEST_F(WalVfsTest, ACheckpointStartsTheWriteBackOfTheDatabaseFileAsItGoes) {
  DeferWalSync(true);
  InsertRows(0, 1000);  // ~3 MB of pages
  uint64_t before = DbWriteBackKicks();
  DeferWalSync(false);
  Exec(writer_, "PRAGMA wal_checkpoint(TRUNCATE)");
  EXPECT_GE(DbWriteBackKicks() - before, 2u);
  sqlite3_close_v2(writer_);
  writer_ = Open();
  EXPECT_EQ(Int(writer_, "SELECT COUNT(*) FROM t"), 1000);
  EXPECT_EQ(Text(writer_, "SELECT substr(v, 2990) FROM t WHERE id = 999"), "00000000999");
  EXPECT_EQ(Text(writer_, "PRAGMA integrity_check"), "ok");
}

// The kicks' descriptor is shared and closed only with the file's last handle: closing
// any descriptor of a file drops every POSIX lock the process holds on it, so a handle
// closing must not take the other connections' locks with it (another process could then
// think it is alone and delete the WAL). Seen from a child process, as another process.
TEST_F(WalVfsTest, ClosingOneConnectionKeepsTheOthersLocks) {
  reader_ = Open();
  Exec(reader_, "BEGIN");
  EXPECT_EQ(Int(reader_, "SELECT COUNT(*) FROM t"), 0);  // a read transaction: SHARED
  sqlite3* other = Open();
  EXPECT_EQ(Int(other, "SELECT COUNT(*) FROM t"), 0);
  sqlite3_close_v2(other);  // its handle goes; the reader's lock must stay
  auto locked_elsewhere = [this] {
    pid_t pid = fork();
    if (pid == 0) {
      int fd = ::open(path_.c_str(), O_RDWR);
      struct flock lk {};
      lk.l_type = F_WRLCK;
      lk.l_whence = SEEK_SET;
      lk.l_start = 0x40000002;  // SQLite's shared byte range
      lk.l_len = 510;
      int rc = fd >= 0 ? fcntl(fd, F_GETLK, &lk) : -1;
      _exit(rc == 0 && lk.l_type != F_UNLCK ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  };
  EXPECT_TRUE(locked_elsewhere());
  Exec(reader_, "COMMIT");
}

}  // namespace
}  // namespace klaxon::store
