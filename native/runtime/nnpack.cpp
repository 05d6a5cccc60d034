#include "runtime/nnpack.h"

#include <ATen/Context.h>
#include <ATen/ops/_nnpack_available.h>
#include <c10/util/Logging.h>

namespace missingu {

bool settleNnpack() {
  const int level = FLAGS_caffe2_log_level;
  FLAGS_caffe2_log_level = c10::GLOG_ERROR;
  const bool available = at::_nnpack_available();
  FLAGS_caffe2_log_level = level;
  if (!available) at::globalContext().setUserEnabledNNPACK(false);
  return available;
}

bool nnpackEnabled() { return at::globalContext().userEnabledNNPACK() && at::_nnpack_available(); }

}  // namespace missingu
