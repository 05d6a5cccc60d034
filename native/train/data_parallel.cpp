#include "train/data_parallel.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/full.h>
#include <c10/util/Exception.h>
#include <c10/util/Logging.h>

#include <cstdlib>
#include <exception>
#include <sstream>
#include <stdexcept>

#include "runtime/exception_message.h"

#ifdef MISSING_U_WITH_GLOO
// Gloo's own headers (scripts/gloo.js) come in only here, through c10d's. Everything used below is
// compiled inside libtorch_cpu.so: TCPStore, ProcessGroupGloo's constructor, Options, the device
// factories and the Backend collectives (virtual calls through libtorch's vtable). Gloo types appear
// only behind std::shared_ptr, so the headers need not match the Gloo commit libtorch was built from.
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace missingu::train {

#ifdef MISSING_U_WITH_GLOO
struct DataParallel::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;

  // Waits for every work item; the first failure is rethrown after all have finished.
  static void waitAll(const std::vector<c10::intrusive_ptr<c10d::Work>>& works) {
    std::exception_ptr first;
    for (const auto& work : works) {
      try {
        work->wait();
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    if (first) std::rethrow_exception(first);
  }
};
#else
struct DataParallel::Group {};
#endif

namespace {

#ifdef MISSING_U_WITH_GLOO
bool isLoopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1"; }

// As torch.distributed picks it: GLOO_SOCKET_IFNAME, else loopback for a loopback master, else the
// address this machine's hostname resolves to.
std::shared_ptr<::gloo::transport::Device> glooDevice(const std::string& masterAddr) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface != nullptr && *interface != '\0') {
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  }
  if (isLoopback(masterAddr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

// c10d logs every failed connection attempt of the rendezvous with a C++ backtrace; the error it
// finally throws says it all, so those logs stay quiet unless TORCH_CPP_LOG_LEVEL asks for them.
class QuietRendezvousLogs {
 public:
  QuietRendezvousLogs() : saved_(FLAGS_caffe2_log_level), active_(std::getenv("TORCH_CPP_LOG_LEVEL") == nullptr) {
    if (active_) FLAGS_caffe2_log_level = 3;  // FATAL only
  }
  ~QuietRendezvousLogs() {
    if (active_) FLAGS_caffe2_log_level = saved_;
  }
  QuietRendezvousLogs(const QuietRendezvousLogs&) = delete;
  QuietRendezvousLogs& operator=(const QuietRendezvousLogs&) = delete;

 private:
  int saved_;
  bool active_;
};

}  // namespace

bool distributedAvailable() {
#ifdef MISSING_U_WITH_GLOO
  return true;
#else
  return false;
#endif
}

void validate(const ProcessGroupOptions& o) {
  const auto require = [](bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument(message);
  };
  require(o.worldSize >= 1, "the world size must be an integer >= 1");
  require(o.rank >= 0 && o.rank < o.worldSize, "the rank must be in [0, world size), got rank " +
                                                   std::to_string(o.rank) + " of " + std::to_string(o.worldSize));
  require(!o.masterAddr.empty(), "the master address must not be empty");
  require(o.masterPort >= 1 && o.masterPort <= 65535, "the master port must be in [1, 65535]");
  require(o.timeout.count() > 0, "the distributed timeout must be positive");
  require(o.bucketBytes > 0, "the gradient bucket size must be positive");
}

DataParallel::DataParallel(const ProcessGroupOptions& options) : options_(options), group_(std::make_unique<Group>()) {
  validate(options_);
#ifndef MISSING_U_WITH_GLOO
  throw std::runtime_error(
      "this build has no distributed support: it was compiled without the Gloo headers that libtorch's c10d "
      "needs. Rebuild where scripts/gloo.js can fetch them (npm rebuild missing-u), or set GLOO_INCLUDE_DIR to a "
      "folder holding gloo/config.h and rebuild.");
#else
  const std::string where = options_.masterAddr + ":" + std::to_string(options_.masterPort);
  try {
    QuietRendezvousLogs quiet;
    c10d::TCPStoreOptions store;
    store.port = static_cast<uint16_t>(options_.masterPort);
    store.isServer = options_.rank == 0 && !options_.agentStore;
    store.numWorkers = static_cast<size_t>(options_.worldSize);
    store.waitWorkers = true;
    store.timeout = options_.timeout;
    group_->store = c10::make_intrusive<c10d::TCPStore>(options_.masterAddr, store);
    if (!options_.storePrefix.empty()) {
      group_->store = c10::make_intrusive<c10d::PrefixStore>(options_.storePrefix, group_->store);
    }
    auto gloo = c10d::ProcessGroupGloo::Options::create(options_.timeout);
    gloo->devices.push_back(glooDevice(options_.masterAddr));
    group_->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(group_->store, static_cast<int>(options_.rank),
                                                                  static_cast<int>(options_.worldSize), gloo);
  } catch (...) {
    fail("joining the group at " + where +
         (options_.rank == 0 && !options_.agentStore ? " (which this rank serves)" : ""));
  }
#endif
}

DataParallel::~DataParallel() = default;

void DataParallel::fail(const std::string& what) const {
  std::string cause = currentExceptionMessage();
  while (!cause.empty() && (cause.back() == '\n' || cause.back() == ' ' || cause.back() == '.')) cause.pop_back();
  std::ostringstream seconds;
  seconds << static_cast<double>(options_.timeout.count()) / 1000.0;
  throw std::runtime_error("data-parallel training: rank " + std::to_string(options_.rank) + " of " +
                           std::to_string(options_.worldSize) + " failed " + what + ": " + cause +
                           ". Another worker probably died, hung or failed (a peer silent for " + seconds.str() +
                           " s is an error); see its output");
}

void DataParallel::broadcast(const std::vector<at::Tensor>& tensors, const std::string& what) {
#ifdef MISSING_U_WITH_GLOO
  at::NoGradGuard noGrad;
  std::vector<std::vector<at::Tensor>> lists;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  try {
    c10d::BroadcastOptions root;
    root.rootRank = 0;
    for (const auto& tensor : tensors) {
      lists.push_back({tensor.is_contiguous() ? tensor : tensor.contiguous()});
      works.push_back(group_->backend->broadcast(lists.back(), root));
    }
    Group::waitAll(works);
  } catch (...) {
    fail("broadcasting " + what + " from rank 0");
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!lists[i][0].is_same(tensors[i])) tensors[i].copy_(lists[i][0]);
  }
#endif
}

void DataParallel::buildBuckets(const std::vector<at::Tensor>& parameters) {
  buckets_.clear();
  bucketed_.clear();
  Bucket current;
  int64_t bytes = 0;
  int64_t numel = 0;
  const auto flush = [&] {
    if (current.members.empty()) return;
    current.flat = at::empty({numel}, parameters[current.members.front()].options().requires_grad(false));
    buckets_.push_back(std::move(current));
    current = Bucket{};
    bytes = 0;
    numel = 0;
  };
  for (size_t i = 0; i < parameters.size(); ++i) {
    const at::Tensor& p = parameters[i];
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    if (!current.members.empty()) {
      const at::Tensor& first = parameters[current.members.front()];
      if (first.scalar_type() != p.scalar_type() || first.device() != p.device() ||
          bytes + size > options_.bucketBytes) {
        flush();
      }
    }
    current.members.push_back(i);
    bytes += size;
    numel += p.numel();
    bucketed_.push_back(p.unsafeGetTensorImpl());
  }
  flush();
}

void DataParallel::averageGradients(const std::vector<at::Tensor>& parameters, double* loss, const std::string& what) {
#ifdef MISSING_U_WITH_GLOO
  at::NoGradGuard noGrad;
  bool sameLayout = bucketed_.size() == parameters.size();
  for (size_t i = 0; sameLayout && i < parameters.size(); ++i) {
    sameLayout = bucketed_[i] == parameters[i].unsafeGetTensorImpl();
  }
  if (!sameLayout) buildBuckets(parameters);

  for (auto& bucket : buckets_) {
    int64_t offset = 0;
    for (const size_t i : bucket.members) {
      const at::Tensor& grad = parameters[i].grad();
      at::Tensor slot = bucket.flat.narrow(0, offset, parameters[i].numel());
      if (grad.defined()) {
        slot.copy_(grad.reshape({-1}));
      } else {
        slot.zero_();
      }
      offset += parameters[i].numel();
    }
  }
  std::vector<std::vector<at::Tensor>> lists;
  lists.reserve(buckets_.size() + 1);
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  const at::Tensor lossSum = at::full({1}, loss ? *loss : 0.0, at::TensorOptions().dtype(at::kDouble));
  try {
    for (auto& bucket : buckets_) {
      lists.push_back({bucket.flat});
      works.push_back(group_->backend->allreduce(lists.back()));
    }
    lists.push_back({lossSum});
    works.push_back(group_->backend->allreduce(lists.back()));
    Group::waitAll(works);
  } catch (...) {
    fail(what);
  }
  const double world = static_cast<double>(options_.worldSize);
  for (auto& bucket : buckets_) {
    bucket.flat.div_(world);
    int64_t offset = 0;
    for (const size_t i : bucket.members) {
      const at::Tensor& grad = parameters[i].grad();
      if (grad.defined()) grad.copy_(bucket.flat.narrow(0, offset, parameters[i].numel()).view_as(grad));
      offset += parameters[i].numel();
    }
  }
  if (loss) *loss = lossSum.item<double>() / world;
#endif
}

bool DataParallel::any(bool vote, const std::string& what) {
#ifdef MISSING_U_WITH_GLOO
  std::vector<at::Tensor> votes{at::full({1}, vote ? 1 : 0, at::TensorOptions().dtype(at::kInt))};
  try {
    Group::waitAll({group_->backend->allreduce(votes)});
  } catch (...) {
    fail(what);
  }
  return votes[0].item<int>() > 0;
#else
  return vote;
#endif
}

}  // namespace missingu::train
