// A thin SQLite VFS over the default one that writes a commit's WAL frames with one
// write(2) instead of two per page.
//
// SQLite writes each WAL frame as a 24-byte header and then the page: a commit touching
// 20 pages cost the writer 40 pwrite calls, about a quarter of a small commit's time on
// this kind of machine. Files opened as a WAL get a buffer: contiguous writes collect in
// it, and it goes to the file in one write before anything else touches that file (a
// read, its size, a truncate, a sync, a write elsewhere, close) or when it reaches 8 MiB.
// Every other file is the default VFS's, untouched.
//
// Frames become visible to readers only through the WAL index, which SQLite updates after
// syncing the WAL at commit; so the writer connection runs with synchronous=FULL and the
// sync is where its buffer is written. On the store's writer thread (DeferWalSync), that
// sync writes the buffer and stops there: the store's syncer thread flushes the WAL to
// disk itself and answers the commands after it. Two syncs are real even there, as
// SQLite's own synchronous=NORMAL makes them: a handle's first (which also syncs the
// directory of a new WAL file) and the one that follows a new WAL header at a restart
// (ordered before the frames written over the old ones). Any other thread (the
// checkpointer, a connection closing) gets every fsync SQLite asks for.
//
// The database file is wrapped too, only to start its write-back every MiB a checkpoint
// writes (DbWriteBackKicks).
#pragma once

#include <cstdint>

namespace klaxon::store {

// The VFS's name, registered on first use; pass it to sqlite3_open_v2.
const char* WalBufferVfs();

// Marks the calling thread as the store's writer: its WAL syncs write, but do not flush.
void DeferWalSync(bool defer);

// How many WAL syncs went to the disk, in this process (for tests).
uint64_t WalSyncsToDisk();

// How many times a database file's write-back was started early, in this process (for
// tests): every MiB a checkpoint writes to it, so that its closing fdatasync does not put
// tens of MB on the disk at once, ahead of the WAL's flushes.
uint64_t DbWriteBackKicks();

}  // namespace klaxon::store
