// Signed action links carried by every page: acknowledge or resolve an incident (or
// verify a contact method) without logging in. A token is
//   base64url(JSON payload) "." base64url(HMAC-SHA256(key, payload))
// with payload {"a": action, "i": subject id, "u": user id, "e": expiry ms, "n": nonce}.
// The HMAC is computed over the base64url text of the payload (the part before "."), so
// the signature is checked before anything is decoded; compared in constant time.
// Single use is enforced by the caller, which records the nonce when it acts.
// Pure; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/clock.h"
#include "core/status.h"

namespace klaxon::notify {

struct ActionClaim {
  std::string action;   // "ack", "resolve", "verify"
  int64_t subject = 0;  // incident id, or contact method id for "verify"
  int64_t user_id = 0;
  TimeMs expires_at = 0;
  std::string nonce;  // random, 16 bytes base64url
};

// `key`: at least 32 secret bytes (with a shorter key SignAction returns "" and
// VerifyAction answers kInternal). An expired link counts from `now >= expires_at`.
std::string SignAction(const std::string& key, const ActionClaim& claim);
// kUnauthenticated ("invalid link") for a bad signature or a malformed token;
// kConflict ("link expired") when expired at `now`.
Result<ActionClaim> VerifyAction(const std::string& key, const std::string& token, TimeMs now);

}  // namespace klaxon::notify
