#include "data/batch_prefetcher.h"

#include <chrono>
#include <stdexcept>

namespace missingu::data {

BatchPrefetcher::BatchPrefetcher(const ImageSource& source) : source_(source), thread_([this] { run(); }) {}

BatchPrefetcher::~BatchPrefetcher() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void BatchPrefetcher::request(at::Tensor index, at::Tensor flip) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back({std::move(index), std::move(flip)});
  }
  changed_.notify_all();
}

at::Tensor BatchPrefetcher::take() {
  const auto started = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  if (results_.empty() && requests_.empty()) throw std::logic_error("BatchPrefetcher::take without a request");
  changed_.wait(lock, [this] { return !results_.empty(); });
  Result result = std::move(results_.front());
  results_.pop_front();
  lock.unlock();
  waited_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (result.error) std::rethrow_exception(result.error);
  return result.batch;
}

void BatchPrefetcher::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || !requests_.empty(); });
    if (stopping_) return;
    Request request = std::move(requests_.front());
    lock.unlock();
    Result result;
    try {
      result.batch = source_.gather(request.index, request.flip);
    } catch (...) {
      result.error = std::current_exception();
    }
    lock.lock();
    requests_.pop_front();
    results_.push_back(std::move(result));
    changed_.notify_all();
  }
}

}  // namespace missingu::data
