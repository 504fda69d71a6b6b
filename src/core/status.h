// Status and Result<T>: errors as values, with a closed list of codes that map to HTTP.
//
// A Status is ok or carries a code, a message and, for invalid input, the fields that
// were wrong (JSON pointers or file:line:key). Values; any thread may copy them.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace klaxon {

enum class Code {
  kOk,
  kBadRequest,        // malformed syntax (JSON that does not parse, bad query)     → 400
  kInvalidArgument,   // well-formed but invalid fields                            → 422
  kUnauthenticated,   //                                                           → 401
  kPermissionDenied,  //                                                           → 403
  kNotFound,          //                                                           → 404
  kMethodNotAllowed,  //                                                           → 405
  kConflict,          // illegal transition, duplicate name                        → 409
  kTooLarge,          //                                                           → 413
  kUnsupportedMedia,  //                                                           → 415
  kRateLimited,       //                                                           → 429
  kUnavailable,       // retryable: store down, shutting down                      → 503
  kInternal,          //                                                           → 500
};

struct FieldError {
  std::string field;  // "/title", "/alerts/3/labels", "klaxon.yaml:12:listen"
  std::string message;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::vector<FieldError> fields = {})
      : code_(code), message_(std::move(message)), fields_(std::move(fields)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<FieldError>& fields() const { return fields_; }
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::vector<FieldError> fields_;
};

inline Status BadRequest(std::string m) { return {Code::kBadRequest, std::move(m)}; }
inline Status Invalid(std::string m, std::vector<FieldError> f = {}) {
  return {Code::kInvalidArgument, std::move(m), std::move(f)};
}
inline Status InvalidField(std::string field, std::string message) {
  return {Code::kInvalidArgument,
          "invalid field " + field + ": " + message,
          {{std::move(field), std::move(message)}}};
}
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }

// HTTP status and short title for a code.
int HttpStatus(Code code);
const char* CodeTitle(Code code);
const char* CodeSlug(Code code);  // "invalid-argument", used in problem type URIs

// A value or an error Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Status status) : v_(std::move(status)) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace klaxon

#define KLAXON_RETURN_IF_ERROR(expr) \
  do {                               \
    ::klaxon::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)

#define KLAXON_CONCAT_INNER(a, b) a##b
#define KLAXON_CONCAT(a, b) KLAXON_CONCAT_INNER(a, b)
#define KLAXON_ASSIGN_OR_RETURN(lhs, expr)                                                  \
  auto KLAXON_CONCAT(_res_, __LINE__) = (expr);                                             \
  if (!KLAXON_CONCAT(_res_, __LINE__).ok()) return KLAXON_CONCAT(_res_, __LINE__).status(); \
  lhs = std::move(KLAXON_CONCAT(_res_, __LINE__)).value()
