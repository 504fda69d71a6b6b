#include "notify/transport.h"
#include "notify/curl_util.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "notify/internal.h"
#include "notify/keepalive.h"
#include "notify/text.h"

namespace klaxon::notify {
namespace {

using Easy = CurlEasy;
using Slist = CurlSlist;

Slist Append(Slist list, const std::string& line) {
  curl_slist* l = curl_slist_append(list.get(), line.c_str());
  if (!l) return list;  // out of memory: the request goes without this line
  list.release();
  return Slist(l);
}

// Where a response goes while curl reads it.
struct Sink {
  HttpResult* result;
  bool cut = false;  // more than kHttpMaxBody arrived: the transfer was stopped on purpose
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * n;
  std::string& body = sink->result->body;
  body.append(data, std::min(len, kHttpMaxBody - body.size()));
  if (body.size() >= kHttpMaxBody && len > 0) {
    sink->cut = true;
    return 0;  // stop reading: the first 4 KiB is all we keep
  }
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * n;
  std::string_view line(data, std::min(len, kHttpMaxHeaderLine));
  auto& headers = sink->result->headers;
  if (line.rfind("HTTP/", 0) == 0) {
    headers.clear();  // a new response (after 100 Continue, say)
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || headers.size() >= kHttpMaxHeaders) return len;
  headers.emplace_back(Trim(line.substr(0, colon)), Trim(line.substr(colon + 1)));
  return len;
}

// Reads the mail for upload.
struct Upload {
  const std::string* text;
  size_t pos = 0;
};

size_t OnRead(char* buffer, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t len = std::min(size * n, up->text->size() - up->pos);
  std::copy_n(up->text->data() + up->pos, len, buffer);
  up->pos += len;
  return len;
}

std::string CurlError(CURLcode rc, const char* errbuf) {
  std::string e = curl_easy_strerror(rc);
  if (errbuf[0] != '\0') e += std::string(": ") + errbuf;
  return e;
}

}  // namespace

void CurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) std::abort();
  });
}

HttpResult PostHttp(const HttpRequest& req, int timeout_ms) {
  if (auto kept = PostKeptAlive(req, timeout_ms)) return std::move(*kept);
  CurlGlobalInit();
  HttpResult result;
  // One handle per thread, reset between requests: curl_easy_reset keeps the handle's
  // connection cache, so consecutive posts to one host reuse the open (TLS) connection.
  thread_local Easy curl;
  if (curl)
    curl_easy_reset(curl.get());
  else
    curl.reset(curl_easy_init());
  if (!curl) {
    result.error = "curl_easy_init failed";
    return result;
  }
  CURL* c = curl.get();
  Slist headers;
  for (const auto& [name, value] : req.headers) {
    headers = Append(std::move(headers), OneLine(name) + ": " + OneLine(value));
  }
  headers = Append(std::move(headers), "Expect:");  // no 100-continue round trip
  char errbuf[CURL_ERROR_SIZE] = {0};
  Sink sink{&result};
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max(timeout_ms, 1)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && sink.cut)) {
    result.status = 0;
    result.error = CurlError(rc, errbuf);
    return result;
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  result.status = static_cast<int>(code);
  return result;
}

SmtpResult SendMail(const SmtpConfig& cfg, const Mail& mail, int timeout_ms) {
  CurlGlobalInit();
  SmtpResult result;
  auto fail = [&](std::string error, bool permanent) {
    result.error = std::move(error);
    result.permanent = permanent;
    return result;
  };
  if (cfg.url.empty()) return fail("email is disabled (no SMTP URL)", true);
  if (cfg.url.rfind("smtp://", 0) != 0 && cfg.url.rfind("smtps://", 0) != 0) {
    return fail("SMTP URL must start with smtp:// or smtps://", true);
  }
  long use_ssl = 0;
  if (cfg.starttls == "off") {
    use_ssl = CURLUSESSL_NONE;
  } else if (cfg.starttls == "try") {
    use_ssl = CURLUSESSL_TRY;
  } else if (cfg.starttls == "required") {
    use_ssl = CURLUSESSL_ALL;
  } else {
    return fail("starttls must be off, try or required", true);
  }
  const std::string from = MailAddressOf(mail.from);
  if (!ValidMailAddress(from)) return fail("invalid sender address", true);
  if (mail.to.empty()) return fail("no recipients", true);

  Easy curl(curl_easy_init());
  if (!curl) return fail("curl_easy_init failed", false);
  CURL* c = curl.get();
  Slist rcpt;
  for (const auto& to : mail.to) {
    if (!ValidMailAddress(to)) return fail("invalid recipient address", true);
    rcpt = Append(std::move(rcpt), "<" + to + ">");
  }
  const std::string mail_from = "<" + from + ">";
  char errbuf[CURL_ERROR_SIZE] = {0};
  Upload upload{&mail.text};
  curl_easy_setopt(c, CURLOPT_URL, cfg.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mail.text.size()));
  curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl);
  if (!cfg.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, cfg.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, cfg.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, cfg.verify_tls ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, cfg.verify_tls ? 2L : 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max(timeout_ms, 1)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    result.ok = true;
    return result;
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  std::string error = CurlError(rc, errbuf);
  if (code > 0) error += " (SMTP " + std::to_string(code) + ")";
  // A 5xx reply (sender, recipient or message refused, authentication failed) will get
  // the same answer next time; 4xx and transport failures may not.
  return fail(std::move(error), code >= 500 && code < 600);
}

}  // namespace klaxon::notify
