#include "core/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace klaxon {
namespace {

TEST(WorkQueue, RunsEverythingPostedBeforeDestruction) {
  std::atomic<int> n{0};
  {
    WorkQueue q(2, 100);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(q.Post([&] { ++n; }));
  }
  EXPECT_EQ(n.load(), 50);
}

TEST(WorkQueue, RefusesWhenFull) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  WorkQueue q(1, 2);
  std::promise<void> started;
  ASSERT_TRUE(q.Post([&] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();  // the one thread is busy
  EXPECT_TRUE(q.Post([] {}));
  EXPECT_TRUE(q.Post([] {}));
  EXPECT_FALSE(q.Post([] {}));  // queue of 2 is full
  release.set_value();
}

}  // namespace
}  // namespace klaxon
