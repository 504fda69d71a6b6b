// Names the calling thread ("klaxon-writer", ...) for `top -H`, `ps -L`, perf and gdb.
// Linux keeps at most 15 characters; longer names are cut.
#pragma once

#include <pthread.h>

#include <string>

namespace klaxon {

inline void NameThisThread(const std::string& name) {
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace klaxon
