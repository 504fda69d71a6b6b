#include "core/status.h"

namespace klaxon {

namespace {
struct CodeInfo {
  Code code;
  int http;
  const char* title;
  const char* slug;
};
constexpr CodeInfo kCodes[] = {
    {Code::kOk, 200, "OK", "ok"},
    {Code::kBadRequest, 400, "Bad request", "bad-request"},
    {Code::kInvalidArgument, 422, "Invalid argument", "invalid-argument"},
    {Code::kUnauthenticated, 401, "Unauthenticated", "unauthenticated"},
    {Code::kPermissionDenied, 403, "Permission denied", "permission-denied"},
    {Code::kNotFound, 404, "Not found", "not-found"},
    {Code::kMethodNotAllowed, 405, "Method not allowed", "method-not-allowed"},
    {Code::kConflict, 409, "Conflict", "conflict"},
    {Code::kTooLarge, 413, "Payload too large", "too-large"},
    {Code::kUnsupportedMedia, 415, "Unsupported media type", "unsupported-media-type"},
    {Code::kRateLimited, 429, "Too many requests", "rate-limited"},
    {Code::kUnavailable, 503, "Service unavailable", "unavailable"},
    {Code::kInternal, 500, "Internal error", "internal"},
};
const CodeInfo& Info(Code c) {
  for (const auto& i : kCodes)
    if (i.code == c) return i;
  return kCodes[sizeof(kCodes) / sizeof(kCodes[0]) - 1];
}
}  // namespace

int HttpStatus(Code code) { return Info(code).http; }
const char* CodeTitle(Code code) { return Info(code).title; }
const char* CodeSlug(Code code) { return Info(code).slug; }

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = std::string(CodeTitle(code_)) + ": " + message_;
  for (const auto& f : fields_) s += "\n  " + f.field + ": " + f.message;
  return s;
}

}  // namespace klaxon
