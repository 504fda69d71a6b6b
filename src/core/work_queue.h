// A small pool of threads with a bounded queue, for slow CPU work (password hashing) that
// must not occupy the HTTP workers. Post() refuses when the queue is full, so a flood of
// logins gets 503s instead of freezing the server. Thread-safe; the destructor runs what
// is queued, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace klaxon {

class WorkQueue {
 public:
  // `name` names the threads for top -H and perf (at most 15 characters).
  WorkQueue(size_t threads, size_t max_queue, const char* name = "klaxon-work");
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Refuses new work, runs what is queued, joins the threads. Idempotent; the destructor
  // calls it.
  void Stop();

  // False (and `fn` not run) when the queue is full or stopping.
  bool Post(std::function<void()> fn);

 private:
  void Loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  size_t max_queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace klaxon
