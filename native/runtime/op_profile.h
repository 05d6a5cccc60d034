#pragma once
// Where a piece of work spends its time, operator by operator: libtorch's (Kineto) profiler around a
// function on the calling thread, reduced to each operator's self time (its time minus that of the
// operators it called), as torch.profiler's key_averages() table shows it.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace missingu {

struct OpTime {
  std::string name;
  int64_t calls = 0;
  double selfMs = 0;
  double totalMs = 0;
};

// Sorted by self time, largest first.
std::vector<OpTime> profileOps(const std::function<void()>& work);

}  // namespace missingu
