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

TEST(NameThisThread, NamesTheCallingThreadOnly) {
  std::string before = NameOfThisThread();
  std::string seen;
  std::thread t([&] {
    NameThisThread("klaxon-writer");
    seen = NameOfThisThread();
  });
  t.join();
  EXPECT_EQ(seen, "klaxon-writer");
  EXPECT_EQ(NameOfThisThread(), before);
}

TEST(NameThisThread, CutsLongNamesToLinuxsFifteenCharacters) {
  std::string seen;
  std::thread t([&] {
    NameThisThread("klaxon-a-very-long-thread-name");
    seen = NameOfThisThread();
  });
  t.join();
  EXPECT_EQ(seen, "klaxon-a-very-l");
}

}  // namespace
}  // namespace klaxon
