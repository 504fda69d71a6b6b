#include "alerts/fingerprint_index.h"

#include <sys/mman.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <new>

namespace klaxon::alerts {

uint64_t FingerprintIndex::Key(int64_t integration_id, std::string_view fingerprint) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a over the fingerprint
  for (unsigned char c : fingerprint) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // Mixed with the integration (splitmix64's finalizer), so that the low bits that pick a
  // slot depend on every input bit.
  h ^= static_cast<uint64_t>(integration_id) * 0x9E3779B97F4A7C15ull;
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h;
}

namespace {
// Slots prefetched ahead of the one probed in a batch: enough misses in flight to hide
// the memory's latency.
constexpr size_t kPrefetchAhead = 8;
// Old slots moved into the new table per entry added while it grows: the old table has
// twice as many slots as the new one may take entries before it must grow again, so 2
// would do; 4 leaves room.
constexpr size_t kMovePerAdd = 4;
}  // namespace

FingerprintIndex::~FingerprintIndex() {
  Free(cur_);
  Free(old_);
}

FingerprintIndex::Slot* FingerprintIndex::Allocate(size_t n) {
  void* p =
      ::mmap(nullptr, n * sizeof(Slot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return static_cast<Slot*>(p);  // zero-filled, page by page as first touched: every slot empty
}

void FingerprintIndex::Free(Table& t) {
  if (t.slots) ::munmap(t.slots, t.capacity * sizeof(Slot));
  t = Table{};
}

void FingerprintIndex::Insert(Table& t, uint64_t key, int64_t id) {
  size_t mask = t.capacity - 1;
  for (size_t i = key & mask;; i = (i + 1) & mask) {
    Slot& s = t.slots[i];
    if (s.id == 0) {
      s = {key, id};
      ++t.used;
      return;
    }
  }
}

void FingerprintIndex::MoveSome(size_t n) {
  size_t end = n >= old_.capacity - moved_ ? old_.capacity : moved_ + n;
  for (; moved_ < end; ++moved_) {
    const Slot& s = old_.slots[moved_];
    if (s.id == 0) continue;
    Insert(cur_, s.key, s.id);  // never in cur_ already: AddLocked looks in old_ first
    --old_left_;
  }
  if (old_.slots && moved_ == old_.capacity) {
    Free(old_);
    moved_ = 0;
  }
}

void FingerprintIndex::Reserve(size_t more) {
  if ((cur_.used + old_left_ + more) * 2 <= cur_.capacity) return;
  MoveSome(SIZE_MAX);  // a grow that came before the last one ended (a huge batch): finish it
  size_t n = cur_.capacity ? cur_.capacity * 2 : 1024;
  while ((cur_.used + more) * 2 > n) n *= 2;
  if (cur_.capacity != 0) {
    old_ = cur_;
    old_left_ = old_.used;
    moved_ = 0;
  }
  cur_ = {Allocate(n), n, 0};
}

bool FingerprintIndex::ContainsLocked(uint64_t key, int64_t id) const {
  for (const Table* t : {&cur_, &old_}) {
    if (t->capacity == 0) continue;
    size_t mask = t->capacity - 1;
    for (size_t i = key & mask; t->slots[i].id != 0; i = (i + 1) & mask)
      if (t->slots[i].key == key && t->slots[i].id == id && (t == &cur_ || i >= moved_))
        return true;
  }
  return false;
}

void FingerprintIndex::AddLocked(uint64_t key, int64_t id) {
  if (ContainsLocked(key, id)) return;  // already there
  Insert(cur_, key, id);
  ++size_;
}

void FingerprintIndex::ProbeLocked(uint64_t key, std::vector<int64_t>& out) const {
  size_t mask = cur_.capacity - 1;
  for (size_t i = key & mask; cur_.slots[i].id != 0; i = (i + 1) & mask)
    if (cur_.slots[i].key == key) out.push_back(cur_.slots[i].id);
  if (old_.capacity == 0) return;
  // Slots before moved_ are in cur_ already (and found there); the probe goes through them.
  mask = old_.capacity - 1;
  for (size_t i = key & mask; old_.slots[i].id != 0; i = (i + 1) & mask)
    if (old_.slots[i].key == key && i >= moved_) out.push_back(old_.slots[i].id);
}

void FingerprintIndex::Prefetch(uint64_t key, bool write) const {
  const Slot* s = &cur_.slots[key & (cur_.capacity - 1)];
  if (write)
    __builtin_prefetch(s, 1);
  else
    __builtin_prefetch(s, 0);
  if (old_.capacity != 0) __builtin_prefetch(&old_.slots[key & (old_.capacity - 1)], 0);
}

void FingerprintIndex::Add(int64_t integration_id, std::string_view fingerprint, int64_t id) {
  uint64_t key = Key(integration_id, fingerprint);
  std::lock_guard lock(mu_);
  Reserve(1);
  AddLocked(key, id);
  MoveSome(kMovePerAdd);
}

void FingerprintIndex::AddAll(std::span<const uint64_t> keys, std::span<const int64_t> ids) {
  assert(keys.size() == ids.size());
  std::lock_guard lock(mu_);
  Reserve(keys.size());
  for (size_t k = 0; k < std::min(kPrefetchAhead, keys.size()); ++k) Prefetch(keys[k], true);
  for (size_t k = 0; k < keys.size(); ++k) {
    if (k + kPrefetchAhead < keys.size()) Prefetch(keys[k + kPrefetchAhead], true);
    AddLocked(keys[k], ids[k]);
  }
  MoveSome(kMovePerAdd * keys.size());
}

void FingerprintIndex::Candidates(int64_t integration_id, std::string_view fingerprint,
                                  std::vector<int64_t>& out) const {
  uint64_t key = Key(integration_id, fingerprint);
  std::lock_guard lock(mu_);
  if (cur_.capacity == 0) return;
  size_t first = out.size();
  ProbeLocked(key, out);
  // Probe order is not insertion order once the table wrapped around or grew.
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
}

void FingerprintIndex::CandidatesOfAll(std::span<const uint64_t> keys,
                                       std::vector<int64_t>& out) const {
  std::lock_guard lock(mu_);
  if (cur_.capacity == 0) return;
  for (size_t k = 0; k < std::min(kPrefetchAhead, keys.size()); ++k) Prefetch(keys[k], false);
  for (size_t k = 0; k < keys.size(); ++k) {
    if (k + kPrefetchAhead < keys.size()) Prefetch(keys[k + kPrefetchAhead], false);
    ProbeLocked(keys[k], out);
  }
}

size_t FingerprintIndex::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

size_t FingerprintIndex::memory_bytes() const {
  std::lock_guard lock(mu_);
  return (cur_.capacity + old_.capacity) * sizeof(Slot);
}

}  // namespace klaxon::alerts
