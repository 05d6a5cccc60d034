#pragma once
// Named model configurations, the single source the C++ and TypeScript sides both read.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/denoiser.h"

namespace missingu::models {

struct Preset {
  std::string name;
  std::string description;
  int64_t imageSize;  // default image side
  int64_t channels;   // default image channels
  // Image sides the model takes: a multiple of `sizeMultiple` (2^k for k exact 2x down-samplings, which
  // the up-sampling path must undo exactly) and at least `minImageSize` (the deepest level keeps a pixel).
  int64_t sizeMultiple;
  int64_t minImageSize;
};

// The largest image side any preset takes: datasets are held whole in memory as float32, and above
// this one batch of activations alone runs to gigabytes.
inline constexpr int64_t kMaxImageSize = 1024;

// The widest base channel count (`width`) createModel takes.
inline constexpr int64_t kMaxWidth = 1024;

const std::vector<Preset>& presets();

// Why preset `name` cannot take images of side `imageSize` (0 = its default), or nullopt when it can.
// std::invalid_argument names the known presets for an unknown `name`.
std::optional<std::string> imageSizeProblem(const std::string& name, int64_t imageSize);

// A new model of preset `name` for images of `channels` x `imageSize` x `imageSize` (0 keeps the
// preset's default). `width` (0: the preset's) sets the base channel count: nf of a cU-Net, dim of a
// lucidrains U-Net, ch of the DDPM U-Net. std::invalid_argument names the known presets for anything
// else, and says why for an image size the preset cannot take (imageSizeProblem).
std::shared_ptr<DenoiserImpl> createModel(const std::string& name, int64_t imageSize = 0, int64_t channels = 0,
                                          int64_t width = 0);

}  // namespace missingu::models
