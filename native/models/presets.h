#pragma once
// Named model configurations, the single source the C++ and TypeScript sides both read.
#include <memory>
#include <string>
#include <vector>

#include "models/denoiser.h"

namespace missingu::models {

struct Preset {
  std::string name;
  std::string description;
  int64_t imageSize;  // default image side
  int64_t channels;   // default image channels
};

const std::vector<Preset>& presets();

// A new model of preset `name` for images of `channels` x `imageSize` x `imageSize` (0 keeps the
// preset's default). std::invalid_argument names the known presets for anything else.
std::shared_ptr<DenoiserImpl> createModel(const std::string& name, int64_t imageSize = 0, int64_t channels = 0);

}  // namespace missingu::models
