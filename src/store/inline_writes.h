// Writes run on the submitting thread when the store's writer is idle.
//
// A write command normally goes to the store's writer thread. For a lone request on a
// quiet server that hand-off is a thread wake-up on the request's path (tens to hundreds
// of microseconds on a virtual machine whose other CPU is idle). A thread marked here
// (the HTTP server's) runs its own command itself, with the same single-writer guarantee,
// when nothing is queued or running and no batch ended in the last 2 ms. Under load its
// commands queue for the writer thread as before, so group commit is unchanged (running
// them inline under load halved batch-1 intake throughput). Answers still come after the
// WAL flush. Only with durable commits (synchronous_full), whose answers come from the
// syncer thread, never from inside Submit. The HTTP thread is busy for the command's
// time: usually well under a millisecond, but the first write after the checkpointer has
// emptied the WAL flushes the new WAL header to disk there, and BEGIN IMMEDIATE waits
// (up to the busy timeout) while another process holds the write lock.
#pragma once

namespace klaxon::store {

// Marks the calling thread: its submitted writes may run on it when the writer is idle.
void AllowInlineWrites(bool allow);

}  // namespace klaxon::store
