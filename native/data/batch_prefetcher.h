#pragma once
// Gathers the next batches of an ImageSource on a thread of its own while the current step computes,
// so that a step waits for its data only when gathering is slower than training. Batches come out in the
// order they were requested; an error while gathering is rethrown by the take() of its batch.
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "data/image_source.h"

namespace missingu::data {

class BatchPrefetcher {
 public:
  explicit BatchPrefetcher(const ImageSource& source);
  ~BatchPrefetcher();  // stops the thread, dropping what was not taken
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // Queues the batch of rows `index`, mirrored where `flip` is true (see ImageSource::gather).
  void request(at::Tensor index, at::Tensor flip);
  // The oldest requested batch, once it is gathered.
  at::Tensor take();
  // Seconds take() has spent waiting for batches so far.
  double waitSeconds() const { return waited_; }

 private:
  struct Request {
    at::Tensor index, flip;
  };
  struct Result {
    at::Tensor batch;
    std::exception_ptr error;
  };
  void run();

  const ImageSource& source_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Request> requests_;
  std::deque<Result> results_;
  bool stopping_ = false;
  double waited_ = 0;
  std::thread thread_;  // last: starts once everything it uses exists
};

}  // namespace missingu::data
