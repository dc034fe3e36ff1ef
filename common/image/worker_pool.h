// A fixed set of threads running submitted jobs in submission order; used to compress and
// decompress stream chunks in parallel.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace ckpt::image {

class WorkerPool {
 public:
  // threads 0 = one per CPU.
  explicit WorkerPool(int threads);
  // Runs the jobs already queued, then joins.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int size() const { return static_cast<int>(threads_.size()); }
  // The job's exception, if any, is rethrown by the future's get().
  std::future<void> submit(std::function<void()> job);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Threads to use when the caller asks for `requested` (0 = one per CPU).
int resolve_threads(int requested);

}  // namespace ckpt::image
