#include "remediation/runner.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <kainjow/mustache.hpp>
#include <memory>
#include <mutex>
#include <string_view>

#include "notify/curl_util.h"
#include "notify/mustache_data.h"

namespace klaxon::remediation {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kRedacted = "[redacted]";
// Brackets a placeholder token (an index into the body's references) while the body is
// rendered. Facts never hold it (it is removed from their strings first), so only the
// playbook's own ${NAME} references come out as tokens.
constexpr char kMark = '\x1E';

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string_view Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// ---- ${NAME} references ----------------------------------------------------------------

struct EnvRef {
  size_t begin = 0;  // of "${"
  size_t end = 0;    // one past "}"
  std::string name;
};

bool ValidEnvName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isupper(static_cast<unsigned char>(ch)) ||
           std::isdigit(static_cast<unsigned char>(ch)) || ch == '_';
  });
}

// Every ${NAME} in `s`, as the playbook validates them (capitals, digits and _).
Result<std::vector<EnvRef>> FindRefs(std::string_view s, std::string_view where) {
  std::vector<EnvRef> refs;
  for (size_t i = s.find("${"); i != std::string_view::npos; i = s.find("${", i)) {
    const size_t close = s.find('}', i + 2);
    if (close == std::string_view::npos)
      return Invalid(std::string(where) + ": unterminated ${ (write ${NAME})");
    std::string_view name = s.substr(i + 2, close - i - 2);
    if (!ValidEnvName(name))
      return Invalid(std::string(where) + ": bad environment reference ${" + std::string(name) +
                     "} (names are capitals, digits and _)");
    refs.push_back({i, close + 1, std::string(name)});
    i = close + 1;
  }
  return refs;
}

// The values of the referenced variables, by name.
using EnvValues = std::vector<std::pair<std::string, std::string>>;

const std::string* ValueOf(const EnvValues& values, const std::string& name) {
  for (const auto& [n, v] : values)
    if (n == name) return &v;
  return nullptr;
}

// `s` with each reference replaced by what `replace(ref)` gives.
template <typename F>
std::string Substitute(std::string_view s, const std::vector<EnvRef>& refs, F replace) {
  std::string out;
  size_t pos = 0;
  for (const EnvRef& ref : refs) {
    out.append(s.substr(pos, ref.begin - pos));
    out += replace(ref);
    pos = ref.end;
  }
  out.append(s.substr(pos));
  return out;
}

// Looks every referenced name up; the error names all that are missing.
Result<EnvValues> Resolve(const std::vector<std::vector<EnvRef>>& ref_lists, const EnvLookup& env) {
  EnvValues values;
  std::vector<std::string> missing;
  for (const auto& refs : ref_lists) {
    for (const EnvRef& ref : refs) {
      if (ValueOf(values, ref.name) ||
          std::find(missing.begin(), missing.end(), ref.name) != missing.end())
        continue;
      std::optional<std::string> v = env ? env(ref.name) : std::nullopt;
      if (v)
        values.emplace_back(ref.name, std::move(*v));
      else
        missing.push_back(ref.name);
    }
  }
  if (missing.size() == 1) return Invalid("environment variable " + missing[0] + " is not set");
  if (!missing.empty()) {
    std::string names;
    for (const auto& n : missing) names += (names.empty() ? "" : ", ") + n;
    return Invalid("environment variables " + names + " are not set");
  }
  return values;
}

// ---- the body --------------------------------------------------------------------------

std::string JsonEscape(const std::string& s) {
  const std::string quoted = Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
  return quoted.substr(1, quoted.size() - 2);
}

std::string WithoutMark(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), kMark), s.end());
  return s;
}

Result<std::string> RenderMustache(const std::string& text, bool json, const Json& facts) {
  try {
    kainjow::mustache::mustache tmpl{text};
    if (!tmpl.is_valid()) return Invalid("body: " + tmpl.error_message());
    if (json)
      tmpl.set_custom_escape(JsonEscape);
    else
      tmpl.set_custom_escape([](const std::string& s) { return s; });
    const auto data = notify::ToMustacheData(facts.is_object() ? facts : Json::object(), kMark);
    notify::NoPartialsContext ctx{&data};
    std::string out = tmpl.render(ctx);
    if (!tmpl.is_valid()) return Invalid("body: " + tmpl.error_message());
    return out;
  } catch (const std::exception& e) {
    return Invalid(std::string("body: ") + e.what());
  }
}

// Swaps the body's references for placeholder tokens, renders it over the facts, then
// puts the values in place of the tokens: the rendered facts are never scanned. `body`
// holds no kMark of its own (Prepare removes any).
Result<std::string> RenderBody(const std::string& body, const std::vector<EnvRef>& refs,
                               const EnvValues& values, bool json, const Json& facts) {
  std::vector<const std::string*> slots;
  std::string tmpl = Substitute(body, refs, [&](const EnvRef& ref) {
    slots.push_back(ValueOf(values, ref.name));
    return std::string(1, kMark) + std::to_string(slots.size() - 1) + kMark;
  });
  KLAXON_ASSIGN_OR_RETURN(std::string rendered, RenderMustache(tmpl, json, facts));
  std::string out;
  for (size_t i = 0; i < rendered.size(); ++i) {
    if (rendered[i] != kMark) {
      out += rendered[i];
      continue;
    }
    const size_t close = rendered.find(kMark, i + 1);
    if (close == std::string::npos) break;  // cannot happen: tokens come whole
    const size_t slot = std::strtoul(rendered.c_str() + i + 1, nullptr, 10);
    if (slot < slots.size() && slots[slot]) out += *slots[slot];
    i = close;
  }
  return out;
}

// JSON when the Content-Type says so or, without one, when the body as written starts
// like a JSON object or array ("{{" is a mustache tag, not an object).
bool IsJsonBody(const std::optional<std::string>& content_type, const std::string& body) {
  if (content_type) return Lower(*content_type).find("json") != std::string::npos;
  std::string_view t = Trim(body);
  if (t.empty()) return false;
  if (t[0] == '[') return true;
  return t[0] == '{' && t.substr(0, 2) != "{{";
}

// The method in capitals; the playbook's default (POST) when none is given.
std::string MethodOf(const playbook::Action& action) {
  std::string m = action.method.empty() ? "POST" : action.method;
  for (char& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return m;
}

bool IsHttpUrl(const std::string& url) {
  const std::string l = Lower(url.substr(0, 8));
  if (l.rfind("http://", 0) != 0 && l.rfind("https://", 0) != 0) return false;
  return std::none_of(url.begin(), url.end(),
                      [](char ch) { return static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7F; });
}

// ---- redaction and text ----------------------------------------------------------------

std::string PercentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

// The ways a secret may show up in text: as is, JSON-escaped, percent-encoded. Longest
// first, so that a secret holding another is redacted whole.
std::vector<std::string> SecretForms(const std::vector<std::string>& secrets) {
  std::vector<std::string> forms;
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    forms.push_back(s);
    forms.push_back(JsonEscape(s));
    forms.push_back(PercentEncode(s));
  }
  std::sort(forms.begin(), forms.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
  return forms;
}

std::string RedactForms(std::string_view text, const std::vector<std::string>& forms) {
  if (forms.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto hit = std::find_if(forms.begin(), forms.end(), [&](const std::string& f) {
      return text.compare(i, f.size(), f) == 0;
    });
    if (hit != forms.end()) {
      out += kRedacted;
      i += hit->size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

// A response cut short may end in the first part of a secret: drop that tail.
void DropPartialSecret(std::string& text, const std::vector<std::string>& forms) {
  size_t cut = text.size();
  for (const auto& f : forms) {
    for (size_t n = std::min(f.size() - 1, text.size()); n > 0; --n) {
      if (text.compare(text.size() - n, n, f, 0, n) == 0) {
        cut = std::min(cut, text.size() - n);
        break;
      }
    }
  }
  text.resize(cut);
}

// `s` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD.
std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t len = b < 0x80           ? 1
                 : (b >> 5) == 0x6  ? 2
                 : (b >> 4) == 0xE  ? 3
                 : (b >> 3) == 0x1E ? 4
                                    : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && len > 1) {
      uint32_t cp = b & (0xFF >> (len + 1));
      for (size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// The first `max` bytes of valid UTF-8 `s`, not cutting a character.
std::string CutUtf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

// ---- libcurl ---------------------------------------------------------------------------

using Easy = notify::CurlEasy;
using Slist = notify::CurlSlist;

bool Append(Slist& list, const std::string& line) {
  curl_slist* l = curl_slist_append(list.get(), line.c_str());
  if (!l) return false;
  (void)list.release();
  list.reset(l);
  return true;
}

struct Sink {
  std::string body;
  bool cut = false;  // more than kMaxResponseBytes arrived: reading stopped on purpose
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * n;
  sink->body.append(data, std::min(len, kMaxResponseBytes - sink->body.size()));
  if (sink->body.size() >= kMaxResponseBytes && len > 0) {
    sink->cut = true;
    return 0;
  }
  return len;
}

bool HasHeader(const Prepared& p, std::string_view name) {
  return std::any_of(p.headers.begin(), p.headers.end(),
                     [&](const auto& h) { return Lower(h.first) == name; });
}

std::string ExpectedText(const std::vector<int>& expect) {
  if (expect.empty()) return "2xx";
  std::string out;
  for (size_t i = 0; i < expect.size(); ++i) {
    if (i > 0) out += i + 1 == expect.size() ? " or " : ", ";
    out += std::to_string(expect[i]);
  }
  return out;
}

std::string TransportError(CURLcode rc, long os_errno, const char* errbuf, int64_t timeout_ms) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return "timed out after " + playbook::FormatDuration(timeout_ms);
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED) return "connection refused";
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
      return "could not resolve host";
    case CURLE_UNSUPPORTED_PROTOCOL:
      return "unsupported protocol (only http and https)";
    default:
      break;
  }
  std::string e = curl_easy_strerror(rc);
  if (errbuf[0] != '\0') e += std::string(": ") + errbuf;
  return e;
}

// Sets up and performs the exchange; fills http_status, duration_ms, and error when the
// transport failed. Returns the (whole, unredacted) body read, up to the limit.
Sink Perform(const Prepared& p, int64_t timeout_ms, RunResult& r) {
  Sink sink;
  Easy curl(curl_easy_init());
  if (!curl) {
    r.error = "curl_easy_init failed";
    return sink;
  }
  CURL* c = curl.get();
  Slist headers;
  for (const auto& [name, value] : p.headers)
    Append(headers, value.empty() ? name + ";" : name + ": " + value);
  if (!HasHeader(p, "expect")) Append(headers, "Expect:");  // no 100-continue round trip
  // With a body curl would add a form Content-Type; an empty body sends none.
  if (!HasHeader(p, "content-type")) Append(headers, "Content-Type:");
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, p.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "Klaxon");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  const bool sends_body = !p.body.empty() || (p.method != "GET" && p.method != "DELETE");
  if (p.method == "GET" && !sends_body) {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    if (p.method != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, p.method.c_str());
    if (sends_body) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, p.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(p.body.size()));
    }
  }
  const CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_off_t total_us = 0;
  curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &total_us);
  long os_errno = 0;
  curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
  r.http_status = static_cast<int>(code);
  r.duration_ms = static_cast<int64_t>(total_us / 1000);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && sink.cut))
    r.error = TransportError(rc, os_errno, errbuf, timeout_ms);
  return sink;
}

RunResult RunPrepared(const playbook::Action& action, const Prepared& p) {
  RunResult r;
  r.method = p.method;
  const std::vector<std::string> forms = SecretForms(p.secrets);
  r.url = ValidUtf8(RedactForms(p.url, forms));
  const int64_t timeout_ms = std::clamp<int64_t>(action.timeout, 1, kMaxTimeoutMs);
  Sink sink = Perform(p, timeout_ms, r);
  if (sink.cut) DropPartialSecret(sink.body, forms);
  r.excerpt = CutUtf8(ValidUtf8(RedactForms(sink.body, forms)), kExcerptBytes);
  if (r.error.empty()) {
    const auto& expect = action.expect_status;
    const bool expected =
        expect.empty() ? r.http_status >= 200 && r.http_status < 300
                       : std::find(expect.begin(), expect.end(), r.http_status) != expect.end();
    if (!expected) {
      r.error =
          "unexpected status " + std::to_string(r.http_status) + " (expected " +
          ExpectedText(expect) +
          (r.http_status >= 300 && r.http_status < 400 ? "; redirects are not followed)" : ")");
    }
  }
  r.error = ValidUtf8(RedactForms(r.error, forms));
  r.ok = r.error.empty();
  return r;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Json RunResult::ToJson() const {
  return Json{{"ok", ok},
              {"http_status", http_status},
              {"duration_ms", duration_ms},
              {"method", method},
              {"url", url},
              {"excerpt", excerpt},
              {"error", error}};
}

std::string Redact(std::string text, const std::vector<std::string>& secrets) {
  return RedactForms(text, SecretForms(secrets));
}

Result<Prepared> Prepare(const playbook::Action& action, const Json& facts, const EnvLookup& env) {
  Prepared p;
  p.method = MethodOf(action);
  static const char* kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  if (std::find(std::begin(kMethods), std::end(kMethods), p.method) == std::end(kMethods))
    return Invalid("method must be GET, POST, PUT, PATCH or DELETE");

  // Every reference, in the order written: url, headers, body.
  std::vector<std::vector<EnvRef>> refs;
  KLAXON_ASSIGN_OR_RETURN(auto url_refs, FindRefs(action.url, "url"));
  refs.push_back(std::move(url_refs));
  for (const auto& [name, value] : action.headers) {
    KLAXON_ASSIGN_OR_RETURN(auto header_refs, FindRefs(value, "header " + name));
    refs.push_back(std::move(header_refs));
  }
  const std::string body = WithoutMark(action.body);  // so that only tokens hold kMark
  KLAXON_ASSIGN_OR_RETURN(auto body_refs, FindRefs(body, "body"));
  refs.push_back(std::move(body_refs));
  KLAXON_ASSIGN_OR_RETURN(EnvValues values, Resolve(refs, env));
  for (const auto& [name, value] : values) {
    if (!value.empty() && std::find(p.secrets.begin(), p.secrets.end(), value) == p.secrets.end())
      p.secrets.push_back(value);
  }
  auto expand = [&](const std::string& text, const std::vector<EnvRef>& r) {
    return Substitute(text, r, [&](const EnvRef& ref) { return *ValueOf(values, ref.name); });
  };

  p.url = expand(action.url, refs.front());
  if (!IsHttpUrl(p.url))
    return Invalid("url must be an http(s) URL without spaces or control characters: " +
                   ValidUtf8(Redact(p.url, p.secrets)));
  std::optional<std::string> content_type;
  for (size_t i = 0; i < action.headers.size(); ++i) {
    const auto& [name, value] = action.headers[i];
    std::string v = expand(value, refs[i + 1]);
    if (v.find_first_of("\r\n", 0) != std::string::npos || v.find('\0') != std::string::npos)
      return Invalid("header " + name + ": the value holds a line break");
    if (Lower(name) == "content-type") content_type = v;
    p.headers.emplace_back(name, std::move(v));
  }
  const bool json = IsJsonBody(content_type, body);
  if (!body.empty()) {
    KLAXON_ASSIGN_OR_RETURN(p.body, RenderBody(body, refs.back(), values, json, facts));
    if (p.body.size() > kMaxRequestBodyBytes)
      return Invalid("body: longer than " + std::to_string(kMaxRequestBodyBytes / 1024) +
                     " KiB once rendered");
  }
  if (!p.body.empty() && !content_type)
    p.headers.emplace_back("Content-Type", json ? "application/json" : "text/plain");
  return p;
}

RunResult Run(const playbook::Action& action, const Json& facts, const EnvLookup& env) {
  notify::CurlGlobalInit();
  RunResult r;
  r.method = MethodOf(action);
  r.url = ValidUtf8(action.url);  // as written: ${NAME} references, no values
  try {
    auto prepared = Prepare(action, facts, env);
    if (!prepared.ok()) {
      r.error = prepared.status().message();
      return r;
    }
    return RunPrepared(action, *prepared);
  } catch (...) {
    r.error = "internal error running the action";
    return r;
  }
}

}  // namespace klaxon::remediation
