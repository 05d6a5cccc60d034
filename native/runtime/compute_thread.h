#pragma once
// One long-lived thread on which all heavy libtorch work runs. OpenMP keeps a thread team per
// calling thread: work spread over libuv's pool threads creates several teams that compete for
// the cores (measured: a 2-thread forward pass got slower than a 1-thread one). One caller, one team.
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace missingu {

class ComputeThread {
 public:
  static ComputeThread& instance();

  // Runs `job` on the compute thread and waits for it; its exception is rethrown here.
  void run(std::function<void()> job);

  ComputeThread(const ComputeThread&) = delete;
  ComputeThread& operator=(const ComputeThread&) = delete;
  ~ComputeThread();

 private:
  ComputeThread();
  void loop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace missingu
