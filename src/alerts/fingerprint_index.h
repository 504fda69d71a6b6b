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
//
// A batch's lookups and additions take the lock once and prefetch their slots ahead, and
// the table is at most half full: with a million alerts it is tens of MiB, so each probe
// is a cache miss, and the lookups and additions of new alerts were a tenth of the
// writer's time at batch 100. It grows without a pause: a larger table is allocated and
// each addition moves a few entries of the old one into it, lookups probing both until
// the old one is empty (rehashing two million entries at once held the writer for 60-200
// ms, every request in flight with it; bench/RESULTS.md, intake Run 16).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

namespace klaxon::alerts {

class FingerprintIndex {
 public:
  FingerprintIndex() = default;
  ~FingerprintIndex();
  FingerprintIndex(const FingerprintIndex&) = delete;
  FingerprintIndex& operator=(const FingerprintIndex&) = delete;

  // The key a pair is held under (a hash of both).
  static uint64_t Key(int64_t integration_id, std::string_view fingerprint);

  // Records that alert `id` has this integration and fingerprint (once per pair).
  void Add(int64_t integration_id, std::string_view fingerprint, int64_t id);
  // Records alerts ids[i] under keys[i] (see Key), all at once.
  void AddAll(std::span<const uint64_t> keys, std::span<const int64_t> ids);
  // Appends the ids that may hold this pair, oldest first; none when it was never added.
  void Candidates(int64_t integration_id, std::string_view fingerprint,
                  std::vector<int64_t>& out) const;
  // Appends the ids that may hold any of these keys (see Key), in no particular order.
  void CandidatesOfAll(std::span<const uint64_t> keys, std::vector<int64_t>& out) const;
  size_t size() const;
  size_t memory_bytes() const;

 private:
  struct Slot {
    uint64_t key = 0;
    int64_t id = 0;  // 0: empty (alert ids start at 1)
  };
  struct Table {
    Slot* slots = nullptr;  // open addressing, linear probing; size a power of two
    size_t capacity = 0;
    size_t used = 0;
  };
  bool ContainsLocked(uint64_t key, int64_t id) const;
  void AddLocked(uint64_t key, int64_t id);
  void ProbeLocked(uint64_t key, std::vector<int64_t>& out) const;
  void Prefetch(uint64_t key, bool write) const;
  void Reserve(size_t more);  // room in cur_ for `more` entries at most half full
  void MoveSome(size_t n);    // moves old_'s next n slots into cur_
  static void Insert(Table& t, uint64_t key, int64_t id);
  static Slot* Allocate(size_t n);
  static void Free(Table& t);

  mutable std::mutex mu_;
  Table cur_;            // where entries are added
  Table old_;            // the table cur_ replaced, while its entries move into cur_
  size_t moved_ = 0;     // old_'s slots [0, moved_) are in cur_ already
  size_t old_left_ = 0;  // entries of old_ not moved yet
  size_t size_ = 0;      // distinct pairs in both
};

}  // namespace klaxon::alerts
