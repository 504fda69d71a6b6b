#include "core/thread_name.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace klaxon {
namespace {

std::string NameOfThisThread() {
  char buf[16] = {};
  pthread_getname_np(pthread_self(), buf, sizeof buf);
  return buf;
}

// The name a new thread reads back after NameThisThread(name).
std::string NameSeenByANewThread(const std::string& name) {
  std::string seen;
  std::thread t([&] {
    NameThisThread(name);
    seen = NameOfThisThread();
  });
  t.join();
  return seen;
}

TEST(NameThisThread, NamesTheCallingThreadOnly) {
  std::string before = NameOfThisThread();
  EXPECT_EQ(NameSeenByANewThread("klaxon-writer"), "klaxon-writer");
  EXPECT_EQ(NameOfThisThread(), before);
}

TEST(NameThisThread, CutsLongNamesToLinuxsFifteenCharacters) {
  EXPECT_EQ(NameSeenByANewThread("klaxon-a-very-long-thread-name"), "klaxon-a-very-l");
}

}  // namespace
}  // namespace klaxon
