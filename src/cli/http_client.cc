#include "cli/http_client.h"

#include <curl/curl.h>

#include <cstring>

namespace klaxon::cli {

namespace {

struct Collector {
  std::string body;
  bool too_large = false;
};

size_t CollectBody(char* data, size_t size, size_t count, void* user) {
  auto* collector = static_cast<Collector*>(user);
  const size_t n = size * count;
  if (collector->body.size() + n > CurlHttpClient::kMaxResponseBytes) {
    collector->too_large = true;
    return 0;  // Makes curl fail with CURLE_WRITE_ERROR.
  }
  collector->body.append(data, n);
  return n;
}

// Owns a curl_slist.
class HeaderList {
 public:
  HeaderList() = default;
  ~HeaderList() { curl_slist_free_all(list_); }
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  void Add(const std::string& header) { list_ = curl_slist_append(list_, header.c_str()); }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

bool InitCurlOnce() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

std::string DescribeFailure(CURL* curl, CURLcode code, const char* error_buffer,
                            const Collector& collector, std::chrono::seconds timeout) {
  if (collector.too_large) {
    return "response larger than " + std::to_string(CurlHttpClient::kMaxResponseBytes >> 20) +
           " MiB";
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return "timed out after " + std::to_string(timeout.count()) + " s";
  }
  long os_errno = 0;
  if (code == CURLE_COULDNT_CONNECT &&
      curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno != 0) {
    return std::strerror(static_cast<int>(os_errno));
  }
  if (error_buffer[0] != '\0') return error_buffer;
  return curl_easy_strerror(code);
}

}  // namespace

CurlHttpClient::CurlHttpClient(std::string base_url, std::string token,
                               std::chrono::seconds timeout)
    : base_url_(std::move(base_url)),
      token_(std::move(token)),
      timeout_(timeout),
      handle_(InitCurlOnce() ? curl_easy_init() : nullptr) {}

CurlHttpClient::~CurlHttpClient() { curl_easy_cleanup(static_cast<CURL*>(handle_)); }

HttpResponse CurlHttpClient::Send(const HttpRequest& request) {
  HttpResponse response;
  auto* curl = static_cast<CURL*>(handle_);
  if (curl == nullptr) {
    response.error = "cannot initialize libcurl";
    return response;
  }
  curl_easy_reset(curl);

  HeaderList headers;
  headers.Add("Accept: application/json, application/problem+json");
  if (request.body) headers.Add("Content-Type: application/json");
  if (!token_.empty()) headers.Add("Authorization: Bearer " + token_);

  const std::string url = base_url_ + request.path;
  char error_buffer[CURL_ERROR_SIZE] = {};
  Collector collector;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "klaxon-cli");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &collector);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body->size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t{0});
  }

  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    response.error = DescribeFailure(curl, code, error_buffer, collector, timeout_);
    return response;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  response.body = std::move(collector.body);
  return response;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' ||
        b == '.' || b == '_' || b == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0x0F];
    }
  }
  return out;
}

std::string PathSegment(std::string_view text) {
  if (text == ".") return "%2E";
  if (text == "..") return "%2E%2E";
  return UrlEncode(text);
}

std::string WithQuery(std::string path,
                      const std::vector<std::pair<std::string, std::string>>& params) {
  char separator = path.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [key, value] : params) {
    if (value.empty()) continue;
    path += separator;
    path += UrlEncode(key) + "=" + UrlEncode(value);
    separator = '&';
  }
  return path;
}

}  // namespace klaxon::cli
