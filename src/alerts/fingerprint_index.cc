#include "alerts/fingerprint_index.h"

#include <algorithm>

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

void FingerprintIndex::Add(int64_t integration_id, std::string_view fingerprint, int64_t id) {
  uint64_t key = Key(integration_id, fingerprint);
  std::lock_guard lock(mu_);
  if ((used_ + 1) * 4 > slots_.size() * 3) Grow();  // at most three quarters full
  size_t mask = slots_.size() - 1;
  for (size_t i = key & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.id == 0) {
      s = {key, id};
      ++used_;
      return;
    }
    if (s.key == key && s.id == id) return;  // already there
  }
}

void FingerprintIndex::Candidates(int64_t integration_id, std::string_view fingerprint,
                                  std::vector<int64_t>& out) const {
  uint64_t key = Key(integration_id, fingerprint);
  std::lock_guard lock(mu_);
  if (slots_.empty()) return;
  size_t mask = slots_.size() - 1;
  size_t first = out.size();
  for (size_t i = key & mask; slots_[i].id != 0; i = (i + 1) & mask)
    if (slots_[i].key == key) out.push_back(slots_[i].id);
  // Probe order is not insertion order once the table wrapped around or grew.
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
}

size_t FingerprintIndex::size() const {
  std::lock_guard lock(mu_);
  return used_;
}

size_t FingerprintIndex::memory_bytes() const {
  std::lock_guard lock(mu_);
  return slots_.capacity() * sizeof(Slot);
}

void FingerprintIndex::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id == 0) continue;
    size_t i = s.key & mask;
    while (slots_[i].id != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace klaxon::alerts
