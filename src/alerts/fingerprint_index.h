// Where each stored alert is, by (integration, fingerprint), held in memory.
//
// Intake asks for every alert of a batch whether it is already stored. A SQLite index on
// the fingerprint answered that, but a fingerprint is a hash, so each new alert landed on
// a random page of that index: a commit of a few hundred new alerts dirtied a few hundred
// index pages (4 KiB of WAL each), journaled them per command, and its probe was a tenth
// of the writer's time (bench/RESULTS.md, intake Run 9). This table maps a hash of the
// pair to alert ids instead; the alerts table keeps no index on the fingerprint.
//
// It is a hint that may say too much but never too little: every alert row written adds
// its id before its transaction commits, so a stored alert is always found; an id whose
// transaction rolled back stays behind (and SQLite may give that id to the next alert),
// and a hash can be shared, so callers check each candidate row's integration and
// fingerprint (AlertService does). Alerts are never deleted, so nothing is removed.
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

namespace klaxon::alerts {

class FingerprintIndex {
 public:
  // Records that alert `id` has this integration and fingerprint (once per pair).
  void Add(int64_t integration_id, std::string_view fingerprint, int64_t id);
  // Appends the ids that may hold this pair, oldest first; none when it was never added.
  void Candidates(int64_t integration_id, std::string_view fingerprint,
                  std::vector<int64_t>& out) const;
  size_t size() const;
  size_t memory_bytes() const;

 private:
  struct Slot {
    uint64_t key = 0;
    int64_t id = 0;  // 0: empty (alert ids start at 1)
  };
  static uint64_t Key(int64_t integration_id, std::string_view fingerprint);
  void Grow();

  mutable std::mutex mu_;
  std::vector<Slot> slots_;  // open addressing, linear probing; size a power of two
  size_t used_ = 0;
};

}  // namespace klaxon::alerts
