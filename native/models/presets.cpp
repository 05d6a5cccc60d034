#include "models/presets.h"

#include <c10/util/StringUtil.h>

#include <functional>
#include <stdexcept>

#include "models/cunet.h"
#include "models/unet_ddpm.h"
#include "models/unet_paper.h"

namespace missingu::models {
namespace {

using Factory = std::function<std::shared_ptr<DenoiserImpl>(int64_t imageSize, int64_t channels)>;

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

std::shared_ptr<DenoiserImpl> cunet(const CUNetOptions& options) { return std::make_shared<CUNetImpl>(options); }

const std::vector<Entry>& entries() {
  static const std::vector<Entry> all = {
      {{"cunet-paper", "the official cU-Net layout exactly (t-blind, first order over [h; v]), nf 16", 64, 3},
       [](int64_t, int64_t c) { return cunet(cunetPaper(c)); }},
      {{"cunet-paper-noattn", "cunet-paper without its two attention layers", 64, 3},
       [](int64_t, int64_t c) { return cunet(cunetPaper(c).attentionEncoder({}).attentionDecoder({})); }},
      {{"cunet", "the paper as written: time-conditioned, true second-order coupling", 64, 3},
       [](int64_t, int64_t c) { return cunet(cunetFaithful(c)); }},
      {{"cunet-noattn", "ablation: cunet without attention", 64, 3},
       [](int64_t, int64_t c) { return cunet(cunetFaithful(c).attentionEncoder({}).attentionDecoder({})); }},
      {{"cunet-noresidual", "ablation: cunet without the residual term in its ODE functions", 64, 3},
       [](int64_t, int64_t c) { return cunet(cunetFaithful(c).residual(false)); }},
      {{"cunet-notime", "ablation: cunet without time conditioning", 64, 3},
       [](int64_t, int64_t c) { return cunet(cunetFaithful(c).timeConditioning(false)); }},
      {{"cunet-mnist", "small 1-channel cunet for MNIST on a CPU: nf 8, mults (1,2,4)", 28, 1},
       [](int64_t, int64_t c) {
         return cunet(cunetFaithful(c).nf(8).mults({1, 2, 4}).attentionEncoder({3}).attentionDecoder({1}));
       }},
      {{"unet-paper", "the paper's baseline: lucidrains Unet(dim=64, dim_mults=(1,2,4,8))", 64, 3},
       [](int64_t, int64_t c) { return std::make_shared<UNetPaperImpl>(UNetPaperOptions().channels(c)); }},
      {{"unet-ddpm", "Ho et al. (2020) CIFAR-10 U-Net: ch 128, mult (1,2,2,2), attention at 16x16", 32, 3},
       [](int64_t s, int64_t c) { return std::make_shared<UNetDdpmImpl>(UNetDdpmOptions().channels(c).imageSize(s)); }},
      {{"unet-mnist", "small 1-channel lucidrains U-Net for MNIST on a CPU: dim 16, mults (1,2,4)", 28, 1},
       [](int64_t, int64_t c) {
         return std::make_shared<UNetPaperImpl>(
             UNetPaperOptions().channels(c).dim(16).dimMults({1, 2, 4}).fullAttention({false, false, true}));
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

std::shared_ptr<DenoiserImpl> createModel(const std::string& name, int64_t imageSize, int64_t channels) {
  for (const Entry& e : entries()) {
    if (e.preset.name != name) continue;
    if (imageSize < 0 || channels < 0) throw std::invalid_argument("imageSize and channels must be positive");
    return e.create(imageSize > 0 ? imageSize : e.preset.imageSize, channels > 0 ? channels : e.preset.channels);
  }
  std::vector<std::string> names;
  for (const Preset& p : presets()) names.push_back(p.name);
  throw std::invalid_argument("unknown model preset '" + name + "': use one of " + c10::Join(", ", names));
}

}  // namespace missingu::models
