#include "notify/action_links.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "notify/text.h"

namespace klaxon::notify {
namespace {

using Json = nlohmann::json;

constexpr size_t kMinKeyBytes = 32;
constexpr size_t kMaxTokenBytes = 2048;

// The signature covers the base64url text of the payload, so a token is checked before
// anything in it is decoded.
std::string Mac(const std::string& key, std::string_view payload_b64) {
  return HmacSha256(key, payload_b64);
}

Status InvalidLink() { return Unauthenticated("invalid link"); }

}  // namespace

std::string SignAction(const std::string& key, const ActionClaim& claim) {
  if (key.size() < kMinKeyBytes) return {};  // a link nobody can forge or nothing
  Json payload = {{"a", claim.action},
                  {"i", claim.subject},
                  {"u", claim.user_id},
                  {"e", claim.expires_at},
                  {"n", claim.nonce}};
  const std::string b64 =
      Base64Encode(payload.dump(-1, ' ', false, Json::error_handler_t::replace), true);
  return b64 + "." + Base64Encode(Mac(key, b64), true);
}

Result<ActionClaim> VerifyAction(const std::string& key, const std::string& token, TimeMs now) {
  if (key.size() < kMinKeyBytes) return Internal("action link key shorter than 32 bytes");
  if (token.empty() || token.size() > kMaxTokenBytes) return InvalidLink();
  const auto dot = token.find('.');
  if (dot == std::string::npos || token.find('.', dot + 1) != std::string::npos) {
    return InvalidLink();
  }
  const std::string_view payload_b64 = std::string_view(token).substr(0, dot);
  auto sig = Base64Decode(std::string_view(token).substr(dot + 1), true);
  if (!sig || sig->size() != crypto_auth_hmacsha256_BYTES) return InvalidLink();
  const std::string expected = Mac(key, payload_b64);
  if (crypto_verify_32(reinterpret_cast<const unsigned char*>(sig->data()),
                       reinterpret_cast<const unsigned char*>(expected.data())) != 0) {
    return InvalidLink();
  }
  auto raw = Base64Decode(payload_b64, true);
  if (!raw) return InvalidLink();
  const Json j = Json::parse(*raw, nullptr, false);
  if (!j.is_object()) return InvalidLink();
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string(); };
  auto num = [&](const char* k) { return j.contains(k) && j[k].is_number_integer(); };
  if (!str("a") || !num("i") || !num("u") || !num("e") || !str("n")) return InvalidLink();
  ActionClaim c;
  c.action = j["a"].get<std::string>();
  c.subject = j["i"].get<int64_t>();
  c.user_id = j["u"].get<int64_t>();
  c.expires_at = j["e"].get<TimeMs>();
  c.nonce = j["n"].get<std::string>();
  if (c.action.empty()) return InvalidLink();
  if (now >= c.expires_at) return Conflict("link expired");
  return c;
}

}  // namespace klaxon::notify
