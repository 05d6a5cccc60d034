#pragma once
// Named model configurations, the single source the C++ and TypeScript sides both read (models.presets()
// in lib/models.ts; the config schema's preset names come from it).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/denoiser.h"
#include "models/model_spec.h"

namespace missingu::models {

struct Preset {
  std::string name;
  std::string description;
  std::string family;  // 'cunet' (takes CUNetSettings) or 'unet'
  int64_t imageSize;   // default image side
  int64_t channels;    // default image channels
  // Image sides the model takes: a multiple of `sizeMultiple` (2^k for k exact 2x down-samplings, which
  // the up-sampling path must undo exactly) and at least `minImageSize` (the deepest level keeps a pixel).
  int64_t sizeMultiple;
  int64_t minImageSize;
  // `width` must divide by this: the GroupNorms of the U-Nets split every level's channels into groups.
  int64_t widthMultiple = 1;
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

// `spec` with the preset's image size and channels where it gives 0: the one place preset defaults are
// filled in. std::invalid_argument names the known presets for an unknown name, says why for an image
// size the preset cannot take (imageSizeProblem), and refuses cU-Net settings for the other presets.
ModelSpec resolve(ModelSpec spec);

// A new model as `spec` describes it (resolved first; the same errors).
std::shared_ptr<DenoiserImpl> createModel(const ModelSpec& spec);

}  // namespace missingu::models
