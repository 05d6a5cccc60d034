#pragma once
// Data-parallel training over PyTorch's own c10d: a TCPStore rendezvous (rank 0 serves it) and a
// Gloo process group. Ranks start from rank 0's weights, and after every backward pass each rank's
// gradients are replaced by the mean over all ranks, in flat buckets of about 25 MB, so every rank
// takes the same optimizer step. A peer that dies or stops answering fails the next collective
// within the timeout, with an error naming this rank, the collective and Gloo's cause.
#include <ATen/core/Tensor.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace missingu::train {

struct ProcessGroupOptions {
  int64_t rank = 0;
  int64_t worldSize = 1;
  std::string masterAddr = "127.0.0.1";
  int64_t masterPort = 29500;
  // Rendezvous and every collective: a peer silent for this long is an error.
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  int64_t bucketBytes = 25 << 20;
  // torchrun's agent already serves the store at masterAddr:masterPort (TORCHELASTIC_USE_AGENT_STORE):
  // every rank, rank 0 too, joins it as a client.
  bool agentStore = false;
  // Keys go under this prefix when not empty: a store that outlives a restarted group (torchrun's)
  // still holds the dead group's addresses under the old attempt's prefix.
  std::string storePrefix;
};

// Whether this build has c10d's Gloo backend (it needs the Gloo headers at build time).
bool distributedAvailable();

void validate(const ProcessGroupOptions& options);

class DataParallel {
 public:
  // Joins the group: blocks until every rank has connected, or throws after options.timeout.
  explicit DataParallel(const ProcessGroupOptions& options);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int64_t rank() const { return options_.rank; }
  int64_t worldSize() const { return options_.worldSize; }

  // Overwrites `tensors` (in place, every rank passing the same list) with rank 0's values.
  void broadcast(const std::vector<at::Tensor>& tensors, const std::string& what);
  // Replaces each parameter's gradient by its mean over the ranks, and `*loss` by the mean loss,
  // in one round of bucketed all-reduces. A parameter without a gradient counts as zeros and is
  // left without one (every rank runs the same model, so the same parameters lack gradients).
  void averageGradients(const std::vector<at::Tensor>& parameters, double* loss, const std::string& what);
  // True on every rank when `vote` is true on any rank.
  bool any(bool vote, const std::string& what);

 private:
  struct Group;
  struct Bucket {
    at::Tensor flat;
    std::vector<size_t> members;  // indices into the parameter list
  };
  void buildBuckets(const std::vector<at::Tensor>& parameters);
  [[noreturn]] void fail(const std::string& what) const;

  ProcessGroupOptions options_;
  std::unique_ptr<Group> group_;
  std::vector<Bucket> buckets_;
  std::vector<at::TensorImpl*> bucketed_;  // the parameters the buckets were laid out for
};

}  // namespace missingu::train
