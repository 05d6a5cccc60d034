#include "runtime/op_profile.h"

#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <map>
#include <set>

namespace missingu {

namespace {

struct Interval {
  const torch::autograd::profiler::KinetoEvent* event;
  uint64_t start, end;
};

}  // namespace

std::vector<OpTime> profileOps(const std::function<void()>& work) {
  namespace prof = torch::autograd::profiler;
  using torch::profiler::impl::ActivityType;
  using torch::profiler::impl::ProfilerConfig;
  using torch::profiler::impl::ProfilerState;
  const std::set<ActivityType> activities{ActivityType::CPU};
  const ProfilerConfig config(ProfilerState::KINETO);
  prof::prepareProfiler(config, activities);
  prof::enableProfiler(config, activities);
  try {
    work();
  } catch (...) {
    prof::disableProfiler();
    throw;
  }
  const std::unique_ptr<prof::ProfilerResult> result = prof::disableProfiler();

  // Per thread, intervals sorted by start (the enclosing one first): a stack finds each one's parent.
  std::map<uint64_t, std::vector<Interval>> byThread;
  for (const auto& event : result->events()) {
    if (event.deviceType() != c10::DeviceType::CPU || event.isAsync()) continue;
    byThread[event.startThreadId()].push_back({&event, event.startNs(), event.endNs()});
  }
  std::map<std::string, OpTime> byName;
  for (auto& [thread, intervals] : byThread) {
    std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) {
      return a.start != b.start ? a.start < b.start : a.end > b.end;
    });
    std::vector<std::pair<const Interval*, double>> stack;  // open interval, its children's time
    const auto close = [&] {
      const auto [interval, children] = stack.back();
      stack.pop_back();
      OpTime& row = byName[interval->event->name()];
      const double ms = static_cast<double>(interval->end - interval->start) / 1e6;
      row.name = interval->event->name();
      row.calls += 1;
      row.totalMs += ms;
      row.selfMs += std::max(0.0, ms - children);
      if (!stack.empty()) stack.back().second += ms;
    };
    for (const Interval& interval : intervals) {
      while (!stack.empty() && stack.back().first->end <= interval.start) close();
      stack.emplace_back(&interval, 0.0);
    }
    while (!stack.empty()) close();
  }
  std::vector<OpTime> rows;
  for (auto& [name, row] : byName) rows.push_back(std::move(row));
  std::sort(rows.begin(), rows.end(), [](const OpTime& a, const OpTime& b) { return a.selfMs > b.selfMs; });
  return rows;
}

}  // namespace missingu
