#include "models/presets.h"

#include <c10/util/StringUtil.h>

#include <functional>
#include <optional>
#include <stdexcept>

#include "models/cunet.h"
#include "models/unet_ddpm.h"
#include "models/unet_paper.h"

namespace missingu::models {
namespace {

// width: the base channel count (nf of a cU-Net, dim/ch of a U-Net); 0 keeps the preset's.
using Factory = std::function<std::shared_ptr<DenoiserImpl>(int64_t imageSize, int64_t channels, int64_t width)>;

struct Entry {
  Preset preset;
  Factory create;
};

// The official code's layout: not time-conditioned, first order over [h; v] (SPEC.md section 3).
CUNetOptions cunetPaper(int64_t channels) {
  return CUNetOptions().channels(channels).timeConditioning(false).coupling(Coupling::AugmentedFirstOrder);
}

// The paper as written: time scale/shift in every ODE function, dh/ds = v coupling. The ODE function
// maps [h; v] to the acceleration (half the width), so its hidden width is raised by a quarter to keep
// the parameter count near the official layout's.
CUNetOptions cunetFaithful(int64_t channels) {
  return CUNetOptions().channels(channels).timeConditioning(true).coupling(Coupling::SecondOrder).hiddenMult(1.25);
}

std::shared_ptr<DenoiserImpl> cunet(CUNetOptions options, int64_t width) {
  if (width > 0) options.nf(width);
  return std::make_shared<CUNetImpl>(options);
}

UNetPaperOptions unetWidth(UNetPaperOptions options, int64_t width) {
  if (width > 0) options.dim(width);
  return options;
}

// Image sides: a cU-Net halves its feature maps once per level (4 levels, 3 for cunet-mnist) with bilinear
// resampling, which takes odd sides, so any side leaving the deepest level a pixel works. The U-Nets
// down-sample exactly (pixel unshuffle, stride-2 conv) at every level but the last and concatenate the
// up-sampled maps with their skips, so the side must divide by 2 per down-sampling.
const std::vector<Entry>& entries() {
  static const std::vector<Entry> all = {
      {{"cunet-paper", "the official cU-Net layout exactly (t-blind, first order over [h; v]), nf 16", 64, 3, 1, 16},
       [](int64_t, int64_t c, int64_t w) { return cunet(cunetPaper(c), w); }},
      {{"cunet-paper-noattn", "cunet-paper without its two attention layers", 64, 3, 1, 16},
       [](int64_t, int64_t c, int64_t w) { return cunet(cunetPaper(c).attentionEncoder({}).attentionDecoder({}), w); }},
      {{"cunet", "the paper as written: time-conditioned, true second-order coupling", 64, 3, 1, 16},
       [](int64_t, int64_t c, int64_t w) { return cunet(cunetFaithful(c), w); }},
      {{"cunet-noattn", "ablation: cunet without attention", 64, 3, 1, 16},
       [](int64_t, int64_t c, int64_t w) {
         return cunet(cunetFaithful(c).attentionEncoder({}).attentionDecoder({}), w);
       }},
      {{"cunet-noresidual", "ablation: cunet without the residual term in its ODE functions", 64, 3, 1, 16},
       [](int64_t, int64_t c, int64_t w) { return cunet(cunetFaithful(c).residual(false), w); }},
      {{"cunet-notime", "ablation: cunet without time conditioning", 64, 3, 1, 16},
       [](int64_t, int64_t c, int64_t w) { return cunet(cunetFaithful(c).timeConditioning(false), w); }},
      {{"cunet-mnist", "small 1-channel cunet for MNIST on a CPU: nf 8, mults (1,2,4)", 28, 1, 1, 8},
       [](int64_t, int64_t c, int64_t w) {
         return cunet(cunetFaithful(c).nf(8).mults({1, 2, 4}).attentionEncoder({3}).attentionDecoder({1}), w);
       }},
      {{"unet-paper", "the paper's baseline: lucidrains Unet(dim=64, dim_mults=(1,2,4,8))", 64, 3, 8, 8},
       [](int64_t, int64_t c, int64_t w) {
         return std::make_shared<UNetPaperImpl>(unetWidth(UNetPaperOptions().channels(c), w));
       }},
      {{"unet-ddpm", "Ho et al. (2020) CIFAR-10 U-Net: ch 128, mult (1,2,2,2), attention at 16x16", 32, 3, 8, 8},
       [](int64_t s, int64_t c, int64_t w) {
         UNetDdpmOptions options = UNetDdpmOptions().channels(c).imageSize(s);
         if (w > 0) options.ch(w);
         return std::make_shared<UNetDdpmImpl>(options);
       }},
      {{"unet-mnist", "small 1-channel lucidrains U-Net for MNIST on a CPU: dim 16, mults (1,2,4)", 28, 1, 4, 4},
       [](int64_t, int64_t c, int64_t w) {
         return std::make_shared<UNetPaperImpl>(unetWidth(
             UNetPaperOptions().channels(c).dim(16).dimMults({1, 2, 4}).fullAttention({false, false, true}), w));
       }},
  };
  return all;
}

}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> all = [] {
    std::vector<Preset> out;
    for (const Entry& e : entries()) out.push_back(e.preset);
    return out;
  }();
  return all;
}

namespace {

const Entry& entryNamed(const std::string& name) {
  for (const Entry& e : entries()) {
    if (e.preset.name == name) return e;
  }
  std::vector<std::string> names;
  for (const Preset& p : presets()) names.push_back(p.name);
  throw std::invalid_argument("unknown model preset '" + name + "': use one of " + c10::Join(", ", names));
}

// "3 times" for 8: how often a side of `power` (a power of 2) halves down to 1.
std::string halvings(int64_t power) {
  int64_t k = 0;
  for (; power > 1; power /= 2) ++k;
  return std::to_string(k) + (k == 1 ? " time" : " times");
}

}  // namespace

std::optional<std::string> imageSizeProblem(const std::string& name, int64_t imageSize) {
  const Preset& p = entryNamed(name).preset;
  if (imageSize == 0) return std::nullopt;
  const std::string prefix = "imageSize " + std::to_string(imageSize) + " does not suit model preset '" + name + "': ";
  if (imageSize < 0) return prefix + "it must be a positive integer";
  if (imageSize > kMaxImageSize) {
    return prefix + "the most missing-u takes is " + std::to_string(kMaxImageSize) +
           " px, as datasets are held in memory whole and one batch of activations alone would need gigabytes; "
           "resize the images to " +
           std::to_string(kMaxImageSize) + " px or less";
  }
  if (imageSize < p.minImageSize) {
    return prefix + "the model halves the image " + halvings(p.minImageSize) + ", so it needs at least " +
           std::to_string(p.minImageSize) + " px";
  }
  if (imageSize % p.sizeMultiple != 0) {
    const int64_t below = imageSize / p.sizeMultiple * p.sizeMultiple;
    const std::string nearest = below >= p.minImageSize ? std::to_string(below) + " or " : "";
    return prefix + "the model halves the image exactly " + halvings(p.sizeMultiple) +
           ", so the size must be a multiple of " + std::to_string(p.sizeMultiple) + " (use " + nearest +
           std::to_string(below + p.sizeMultiple) + ")";
  }
  return std::nullopt;
}

std::shared_ptr<DenoiserImpl> createModel(const std::string& name, int64_t imageSize, int64_t channels, int64_t width) {
  const Entry& e = entryNamed(name);
  if (const auto problem = imageSizeProblem(name, imageSize)) throw std::invalid_argument(*problem);
  if (channels < 0) throw std::invalid_argument("channels must be a positive integer, got " + std::to_string(channels));
  if (width < 0 || width > kMaxWidth) {
    throw std::invalid_argument("width must be an integer in [1, " + std::to_string(kMaxWidth) + "], got " +
                                std::to_string(width));
  }
  return e.create(imageSize > 0 ? imageSize : e.preset.imageSize, channels > 0 ? channels : e.preset.channels, width);
}

}  // namespace missingu::models
