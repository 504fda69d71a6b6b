// Secrets and hashing over libsodium: random tokens, keyed hashes, constant-time compare.
//
// Call InitCrypto() once at start (thread-safe, idempotent); the rest are thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace klaxon {

void InitCrypto();
// `bytes` random bytes, URL-safe base64 without padding.
std::string RandomToken(size_t bytes);
// Hex SHA-256 (generic hash, 32 bytes) of `data`; used to store API tokens and sessions,
// which carry 256 bits of entropy, so a fast hash suffices.
std::string HashToken(std::string_view data);
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace klaxon
