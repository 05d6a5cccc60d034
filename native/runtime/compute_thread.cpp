#include "runtime/compute_thread.h"

#include <ATen/Parallel.h>

#include <utility>

namespace missingu {

ComputeThread& ComputeThread::instance() {
  static ComputeThread thread;
  return thread;
}

ComputeThread::ComputeThread() : thread_([this] { loop(); }) {}

ComputeThread::~ComputeThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_one();
  thread_.join();
}

void ComputeThread::run(std::function<void()> job) {
  if (std::this_thread::get_id() == thread_.get_id()) {
    job();  // already here (a job that calls back into run)
    return;
  }
  std::packaged_task<void()> task(std::move(job));
  std::future<void> done = task.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
  done.get();
}

void ComputeThread::loop() {
  for (;;) {
    std::packaged_task<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    at::init_num_threads();  // follow setNumThreads() made on other threads
    task();
  }
}

}  // namespace missingu
