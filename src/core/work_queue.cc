#include "core/work_queue.h"

#include "core/thread_name.h"

namespace klaxon {

WorkQueue::WorkQueue(size_t threads, size_t max_queue, const char* name) : max_queue_(max_queue) {
  for (size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this, name] {
      NameThisThread(name);
      Loop();
    });
}

WorkQueue::~WorkQueue() { Stop(); }

void WorkQueue::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
}

bool WorkQueue::Post(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
  return true;
}

void WorkQueue::Loop() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }
}

}  // namespace klaxon
