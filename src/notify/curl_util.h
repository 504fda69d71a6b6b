// libcurl handles as RAII types, and its one-time global initialisation. Any thread.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace klaxon::notify {

// curl_global_init once per process (aborts if libcurl cannot start).
void CurlGlobalInit();

struct CurlEasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

}  // namespace klaxon::notify
