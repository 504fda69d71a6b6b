#include "store/wal_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>

namespace klaxon::store {

namespace {

constexpr const char* kVfsName = "klaxon-wal-buffer";
constexpr size_t kMaxBuffered = 8 << 20;
// The unix VFS writes at most 128 KiB - 1 bytes per call (it masks the length with 0x1ffff).
constexpr size_t kMaxWrite = 120 << 10;

thread_local bool defer_wal_sync = false;
std::atomic<uint64_t> syncs_to_disk{0};
std::atomic<uint64_t> write_back_kicks{0};

sqlite3_vfs* base_vfs = nullptr;

// A WAL file: our header, then the default VFS's file object.
struct WalFile {
  sqlite3_file base;  // base.pMethods = &kWalMethods
  std::string* buffer;
  sqlite3_int64 buffer_offset;
  // The next sync must reach the disk even on the writer thread: the handle's first one
  // (the unix VFS then also syncs the directory of a new WAL file), and the one after a
  // WAL header was written (a restart: SQLite syncs the new header before writing frames
  // over the old ones, or a power loss could replay an old frame over newer pages).
  bool must_sync;
  sqlite3_file* Real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

// What both wrappers hand straight to the real file (F: WalFile or DbFile).
template <class F>
sqlite3_file* RealOf(sqlite3_file* p) {
  return reinterpret_cast<F*>(p)->Real();
}
template <class F>
int PassRead(sqlite3_file* p, void* out, int n, sqlite3_int64 offset) {
  return RealOf<F>(p)->pMethods->xRead(RealOf<F>(p), out, n, offset);
}
template <class F>
int PassTruncate(sqlite3_file* p, sqlite3_int64 size) {
  return RealOf<F>(p)->pMethods->xTruncate(RealOf<F>(p), size);
}
template <class F>
int PassFileSize(sqlite3_file* p, sqlite3_int64* size) {
  return RealOf<F>(p)->pMethods->xFileSize(RealOf<F>(p), size);
}
template <class F>
int PassLock(sqlite3_file* p, int level) {
  return RealOf<F>(p)->pMethods->xLock(RealOf<F>(p), level);
}
template <class F>
int PassUnlock(sqlite3_file* p, int level) {
  return RealOf<F>(p)->pMethods->xUnlock(RealOf<F>(p), level);
}
template <class F>
int PassCheckReservedLock(sqlite3_file* p, int* out) {
  return RealOf<F>(p)->pMethods->xCheckReservedLock(RealOf<F>(p), out);
}
template <class F>
int PassFileControl(sqlite3_file* p, int op, void* arg) {
  return RealOf<F>(p)->pMethods->xFileControl(RealOf<F>(p), op, arg);
}
template <class F>
int PassSectorSize(sqlite3_file* p) {
  return RealOf<F>(p)->pMethods->xSectorSize(RealOf<F>(p));
}
template <class F>
int PassDeviceCharacteristics(sqlite3_file* p) {
  return RealOf<F>(p)->pMethods->xDeviceCharacteristics(RealOf<F>(p));
}
template <class F>
int PassShmMap(sqlite3_file* p, int region, int size, int extend, void volatile** out) {
  return RealOf<F>(p)->pMethods->xShmMap(RealOf<F>(p), region, size, extend, out);
}
template <class F>
int PassShmLock(sqlite3_file* p, int offset, int n, int flags) {
  return RealOf<F>(p)->pMethods->xShmLock(RealOf<F>(p), offset, n, flags);
}
template <class F>
void PassShmBarrier(sqlite3_file* p) {
  RealOf<F>(p)->pMethods->xShmBarrier(RealOf<F>(p));
}
template <class F>
int PassShmUnmap(sqlite3_file* p, int delete_flag) {
  return RealOf<F>(p)->pMethods->xShmUnmap(RealOf<F>(p), delete_flag);
}
template <class F>
int PassFetch(sqlite3_file* p, sqlite3_int64 offset, int n, void** out) {
  return RealOf<F>(p)->pMethods->xFetch(RealOf<F>(p), offset, n, out);
}
template <class F>
int PassUnfetch(sqlite3_file* p, sqlite3_int64 offset, void* ptr) {
  return RealOf<F>(p)->pMethods->xUnfetch(RealOf<F>(p), offset, ptr);
}

// The database file, written only by checkpoints (it is a WAL database). A checkpoint
// writes tens of MB of pages and then one fdatasync: that put them all on the disk at once,
// and the WAL's flushes, queued behind, took 15-25 ms instead of 0.2 (the p99 of batch-100
// intake: bench/RESULTS.md, intake Run 11). So every MiB it writes, its write-back is
// started (sync_file_range, which does not wait for the writes): the pages go out in small pieces,
// and the kernel's write-back throttling keeps them from crowding the WAL's flushes out.
constexpr sqlite3_int64 kKickBytes = 1 << 20;

// The descriptor the kicks use: one per database file (by inode), shared by every handle
// on it and closed only with the last, after SQLite's own: close() of any descriptor of a
// file drops every POSIX lock the process holds on it, SQLite's among them.
using FileKey = std::pair<dev_t, ino_t>;
struct KickFd {
  int fd;
  int refs;
};
std::mutex kick_mu;
std::map<FileKey, KickFd>* kick_fds = new std::map<FileKey, KickFd>;  // never destroyed

int AcquireKickFd(const char* name, FileKey* key) {
  struct stat st;
  if (!name || ::stat(name, &st) != 0) return -1;
  *key = {st.st_dev, st.st_ino};
  std::lock_guard lock(kick_mu);
  if (auto it = kick_fds->find(*key); it != kick_fds->end()) {
    ++it->second.refs;
    return it->second.fd;
  }
  int fd = ::open(name, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) (*kick_fds)[*key] = {fd, 1};
  return fd;
}

void ReleaseKickFd(const FileKey& key) {
  std::lock_guard lock(kick_mu);
  auto it = kick_fds->find(key);
  if (it == kick_fds->end() || --it->second.refs > 0) return;
  ::close(it->second.fd);
  kick_fds->erase(it);
}

struct DbFile {
  sqlite3_file base;  // base.pMethods = &kDbMethods
  int kick_fd;        // the file's shared descriptor for the kicks (write-back is per file)
  FileKey key;
  sqlite3_int64 lo, hi, unkicked;  // the range written since the last kick, and its bytes
  sqlite3_file* Real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

DbFile* D(sqlite3_file* p) { return reinterpret_cast<DbFile*>(p); }

int DbClose(sqlite3_file* p) {
  DbFile* f = D(p);
  sqlite3_file* real = f->Real();
  int rc = real->pMethods ? real->pMethods->xClose(real) : SQLITE_OK;
  if (f->kick_fd >= 0) ReleaseKickFd(f->key);
  f->kick_fd = -1;
  return rc;
}

int DbWrite(sqlite3_file* p, const void* data, int n, sqlite3_int64 offset) {
  DbFile* f = D(p);
  int rc = f->Real()->pMethods->xWrite(f->Real(), data, n, offset);
  if (rc != SQLITE_OK || f->kick_fd < 0) return rc;
  if (f->unkicked == 0) f->lo = f->hi = offset;
  f->lo = std::min(f->lo, offset);
  f->hi = std::max(f->hi, offset + n);
  f->unkicked += n;
  if (f->unkicked >= kKickBytes) {
    (void)::sync_file_range(f->kick_fd, f->lo, f->hi - f->lo, SYNC_FILE_RANGE_WRITE);
    f->unkicked = 0;
    write_back_kicks.fetch_add(1, std::memory_order_relaxed);
  }
  return SQLITE_OK;
}

int DbSync(sqlite3_file* p, int flags) {
  D(p)->unkicked = 0;  // the sync writes whatever is left
  return D(p)->Real()->pMethods->xSync(D(p)->Real(), flags);
}

const sqlite3_io_methods kDbMethods = {
    3,
    DbClose,
    PassRead<DbFile>,
    DbWrite,
    PassTruncate<DbFile>,
    DbSync,
    PassFileSize<DbFile>,
    PassLock<DbFile>,
    PassUnlock<DbFile>,
    PassCheckReservedLock<DbFile>,
    PassFileControl<DbFile>,
    PassSectorSize<DbFile>,
    PassDeviceCharacteristics<DbFile>,
    PassShmMap<DbFile>,
    PassShmLock<DbFile>,
    PassShmBarrier<DbFile>,
    PassShmUnmap<DbFile>,
    PassFetch<DbFile>,
    PassUnfetch<DbFile>,
};

int OpenDb(sqlite3_filename name, sqlite3_file* p, int flags, int* out_flags) {
  DbFile* f = D(p);
  f->base.pMethods = nullptr;
  sqlite3_file* real = f->Real();
  std::memset(real, 0, static_cast<size_t>(base_vfs->szOsFile));
  int rc = base_vfs->xOpen(base_vfs, name, real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (real->pMethods) real->pMethods->xClose(real);
    return rc;
  }
  f->kick_fd = AcquireKickFd(name, &f->key);
  f->lo = f->hi = f->unkicked = 0;
  f->base.pMethods = &kDbMethods;
  return SQLITE_OK;
}

int Flush(WalFile* f) {
  sqlite3_file* real = f->Real();
  const std::string& b = *f->buffer;
  int rc = SQLITE_OK;
  for (size_t done = 0; done < b.size() && rc == SQLITE_OK; done += kMaxWrite) {
    const size_t n = std::min(kMaxWrite, b.size() - done);
    rc = real->pMethods->xWrite(real, b.data() + done, static_cast<int>(n),
                                f->buffer_offset + static_cast<sqlite3_int64>(done));
  }
  f->buffer->clear();
  return rc;
}

WalFile* W(sqlite3_file* p) { return reinterpret_cast<WalFile*>(p); }

int Close(sqlite3_file* p) {
  WalFile* f = W(p);
  int rc = Flush(f);
  sqlite3_file* real = f->Real();
  int close_rc = real->pMethods ? real->pMethods->xClose(real) : SQLITE_OK;
  delete f->buffer;
  f->buffer = nullptr;
  return rc != SQLITE_OK ? rc : close_rc;
}

int Read(sqlite3_file* p, void* out, int n, sqlite3_int64 offset) {
  WalFile* f = W(p);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->Real()->pMethods->xRead(f->Real(), out, n, offset);
}

int Write(sqlite3_file* p, const void* data, int n, sqlite3_int64 offset) {
  WalFile* f = W(p);
  std::string& b = *f->buffer;
  if (!b.empty() && offset != f->buffer_offset + static_cast<sqlite3_int64>(b.size())) {
    if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  }
  if (b.empty()) f->buffer_offset = offset;
  if (offset == 0) f->must_sync = true;  // the WAL header
  b.append(static_cast<const char*>(data), static_cast<size_t>(n));
  return b.size() >= kMaxBuffered ? Flush(f) : SQLITE_OK;
}

int Truncate(sqlite3_file* p, sqlite3_int64 size) {
  WalFile* f = W(p);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->Real()->pMethods->xTruncate(f->Real(), size);
}

int Sync(sqlite3_file* p, int flags) {
  WalFile* f = W(p);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  if (defer_wal_sync && !f->must_sync) return SQLITE_OK;  // the store's syncer flushes it
  int rc = f->Real()->pMethods->xSync(f->Real(), flags);
  if (rc == SQLITE_OK) f->must_sync = false;
  syncs_to_disk.fetch_add(1, std::memory_order_relaxed);
  return rc;
}

int FileSize(sqlite3_file* p, sqlite3_int64* size) {
  WalFile* f = W(p);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->Real()->pMethods->xFileSize(f->Real(), size);
}

int FileControl(sqlite3_file* p, int op, void* arg) {
  WalFile* f = W(p);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->Real()->pMethods->xFileControl(f->Real(), op, arg);
}

int Fetch(sqlite3_file* p, sqlite3_int64 offset, int n, void** out) {
  WalFile* f = W(p);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->Real()->pMethods->xFetch(f->Real(), offset, n, out);
}

const sqlite3_io_methods kWalMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    PassLock<WalFile>,
    PassUnlock<WalFile>,
    PassCheckReservedLock<WalFile>,
    FileControl,
    PassSectorSize<WalFile>,
    PassDeviceCharacteristics<WalFile>,
    PassShmMap<WalFile>,
    PassShmLock<WalFile>,
    PassShmBarrier<WalFile>,
    PassShmUnmap<WalFile>,
    Fetch,
    PassUnfetch<WalFile>,
};

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* p, int flags, int* out_flags) {
  (void)vfs;
  if (flags & SQLITE_OPEN_MAIN_DB) return OpenDb(name, p, flags, out_flags);
  if (!(flags & SQLITE_OPEN_WAL)) return base_vfs->xOpen(base_vfs, name, p, flags, out_flags);
  WalFile* f = W(p);
  f->base.pMethods = nullptr;
  sqlite3_file* real = f->Real();
  std::memset(real, 0, static_cast<size_t>(base_vfs->szOsFile));
  int rc = base_vfs->xOpen(base_vfs, name, real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (real->pMethods) real->pMethods->xClose(real);
    return rc;
  }
  // The real file's methods decide the version; ours match SQLite's unix VFS (3).
  f->buffer = new (std::nothrow) std::string;
  if (!f->buffer) {
    real->pMethods->xClose(real);
    return SQLITE_NOMEM;
  }
  f->buffer_offset = 0;
  f->must_sync = true;
  f->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

sqlite3_vfs vfs;

}  // namespace

const char* WalBufferVfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    base_vfs = sqlite3_vfs_find(nullptr);
    vfs = *base_vfs;
    vfs.zName = kVfsName;
    vfs.szOsFile = static_cast<int>(std::max(sizeof(WalFile), sizeof(DbFile))) + base_vfs->szOsFile;
    vfs.xOpen = Open;
    vfs.pNext = nullptr;
    sqlite3_vfs_register(&vfs, 0);
  });
  return kVfsName;
}

void DeferWalSync(bool defer) { defer_wal_sync = defer; }

uint64_t WalSyncsToDisk() { return syncs_to_disk.load(std::memory_order_relaxed); }

uint64_t DbWriteBackKicks() { return write_back_kicks.load(std::memory_order_relaxed); }

}  // namespace klaxon::store
