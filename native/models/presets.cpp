#include "models/presets.h"

#include <c10/util/StringUtil.h>

#include <functional>
#include <optional>
#include <stdexcept>

#include "models/cunet.h"
#include "models/unet_ddpm.h"
#include "models/unet_paper.h"
#include "ode/solve.h"

namespace missingu::models {
namespace {

using Factory = std::function<std::shared_ptr<DenoiserImpl>(const ModelSpec& spec)>;

struct Entry {
  Preset preset;
  Factory create;
};

// The official code's layout: not time-conditioned, first order over [h; v] (the paper's repository;
// README "Models").
CUNetOptions cunetPaper(int64_t channels) {
  return CUNetOptions().channels(channels).timeConditioning(false).coupling(Coupling::AugmentedFirstOrder);
}

// Ours: the paper's equations (time scale/shift in every ODE function, dh/ds = v coupling) with the
// official code's InstanceNorm and softplus. The ODE function maps [h; v] to the acceleration (half the
// width), so its hidden width is raised by a quarter to keep the parameter count near the official layout's.
CUNetOptions cunetFaithful(int64_t channels) {
  return CUNetOptions().channels(channels).timeConditioning(true).coupling(Coupling::SecondOrder).hiddenMult(1.25);
}

// The paper's text (section 3.1): GroupNorm in the ODE functions, ReLU (which the text names for the
// initial-velocity block, and no other activation).
CUNetOptions cunetText(int64_t channels) {
  CUNetOptions o = cunetFaithful(channels);
  o.layer().norm(NormKind::Group).activation(Activation::ReLU);
  return o;
}

// The settings a caller gave, over the preset's layout.
CUNetOptions withSettings(CUNetOptions o, const CUNetSettings& s) {
  if (s.norm) o.layer().norm(*s.norm);
  if (s.activation) o.layer().activation(*s.activation);
  if (s.coupling) o.coupling(*s.coupling);
  if (s.ode.method) o.method(*s.ode.method);
  if (s.ode.steps) o.steps(*s.ode.steps);
  if (s.ode.adjoint) o.adjoint(*s.ode.adjoint);
  if (s.ode.rtol) o.rtol(*s.ode.rtol);
  if (s.ode.atol) o.atol(*s.ode.atol);
  ode::SolveOptions solve;  // refuse an unknown method or a fixed-step method without steps now, not at forward
  solve.method = o.method();
  solve.steps = o.steps();
  solve.rtol = o.rtol();
  solve.atol = o.atol();
  ode::validate(solve);
  return o;
}

Factory cunet(CUNetOptions (*layout)(int64_t), const std::function<CUNetOptions(CUNetOptions)>& change = {}) {
  return [layout, change](const ModelSpec& spec) -> std::shared_ptr<DenoiserImpl> {
    CUNetOptions o = layout(spec.channels);
    if (change) o = change(o);
    if (spec.width > 0) o.nf(spec.width);
    return std::make_shared<CUNetImpl>(withSettings(o, spec.cunet));
  };
}

UNetPaperOptions unetWidth(UNetPaperOptions options, int64_t width) {
  if (width > 0) options.dim(width);
  return options;
}

CUNetOptions noAttention(CUNetOptions o) { return o.attentionEncoder({}).attentionDecoder({}); }

// 1-channel 28 px digits on a CPU: nf 8, three levels, attention at the deepest encoder level and the
// first decoder level (as the official layout places its two).
CUNetOptions mnistSized(CUNetOptions o) { return o.nf(8).mults({1, 2, 4}).attentionEncoder({3}).attentionDecoder({1}); }

// Image sides: a cU-Net halves its feature maps once per level (4 levels, 3 for cunet-mnist) with bilinear
// resampling, which takes odd sides, so any side leaving the deepest level a pixel works. The U-Nets
// down-sample exactly (pixel unshuffle, stride-2 conv) at every level but the last and concatenate the
// up-sampled maps with their skips, so the side must divide by 2 per down-sampling.
const std::vector<Entry>& entries() {
  static const std::vector<Entry> all = {
      {{"cunet-paper", "the official cU-Net layout exactly (t-blind, first order over [h; v]), nf 16", "cunet", 64, 3,
        1, 16},
       cunet(cunetPaper)},
      {{"cunet-paper-noattn", "cunet-paper without its two attention layers", "cunet", 64, 3, 1, 16},
       cunet(cunetPaper, noAttention)},
      {{"cunet", "ours: the paper's equations (time-conditioned, second order) with InstanceNorm and softplus", "cunet",
        64, 3, 1, 16},
       cunet(cunetFaithful)},
      {{"cunet-text", "the paper's text: cunet with GroupNorm in the ODE functions and ReLU", "cunet", 64, 3, 1, 16},
       cunet(cunetText)},
      {{"cunet-noattn", "ablation: cunet without attention", "cunet", 64, 3, 1, 16}, cunet(cunetFaithful, noAttention)},
      {{"cunet-noresidual", "ablation: cunet without the residual term in its ODE functions", "cunet", 64, 3, 1, 16},
       cunet(cunetFaithful, [](CUNetOptions o) { return o.residual(false); })},
      {{"cunet-notime", "ablation: cunet without time conditioning", "cunet", 64, 3, 1, 16},
       cunet(cunetFaithful, [](CUNetOptions o) { return o.timeConditioning(false); })},
      {{"cunet-mnist", "small 1-channel cunet for MNIST on a CPU: nf 8, mults (1,2,4)", "cunet", 28, 1, 1, 8},
       cunet(cunetFaithful, mnistSized)},
      {{"cunet-paper-mnist", "the official cU-Net layout (t-blind, first order) at cunet-mnist's size", "cunet", 28, 1,
        1, 8},
       cunet(cunetPaper, mnistSized)},
      {{"unet-paper", "the paper's baseline: lucidrains Unet(dim=64, dim_mults=(1,2,4,8))", "unet", 64, 3, 8, 8, 8},
       [](const ModelSpec& s) {
         return std::make_shared<UNetPaperImpl>(
             unetWidth(UNetPaperOptions().channels(s.channels).channelsLast(s.channelsLast.value_or(true)), s.width));
       }},
      {{"unet-ddpm", "Ho et al. (2020) CIFAR-10 U-Net: ch 128, mult (1,2,2,2), attention at 16x16", "unet", 32, 3, 8, 8,
        32},
       [](const ModelSpec& s) {
         UNetDdpmOptions options = UNetDdpmOptions().channels(s.channels).imageSize(s.imageSize);
         if (s.width > 0) options.ch(s.width);
         return std::make_shared<UNetDdpmImpl>(options);
       }},
      // NCHW unless asked: at 28 px channels-last ran bf16 forwards 1.35x slower (docs/performance.md).
      {{"unet-mnist", "small 1-channel lucidrains U-Net for MNIST on a CPU: dim 16, mults (1,2,4)", "unet", 28, 1, 4, 4,
        8},
       [](const ModelSpec& s) {
         return std::make_shared<UNetPaperImpl>(unetWidth(UNetPaperOptions()
                                                              .channels(s.channels)
                                                              .dim(16)
                                                              .dimMults({1, 2, 4})
                                                              .fullAttention({false, false, true})
                                                              .channelsLast(s.channelsLast.value_or(false)),
                                                          s.width));
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

ModelSpec resolve(ModelSpec spec) {
  const Preset& p = entryNamed(spec.preset).preset;
  if (const auto problem = imageSizeProblem(spec.preset, spec.imageSize)) throw std::invalid_argument(*problem);
  if (spec.channels < 0) {
    throw std::invalid_argument("channels must be a positive integer, got " + std::to_string(spec.channels));
  }
  if (spec.width < 0 || spec.width > kMaxWidth) {
    throw std::invalid_argument("width must be an integer in [1, " + std::to_string(kMaxWidth) + "], got " +
                                std::to_string(spec.width));
  }
  if (spec.width > 0 && spec.width % p.widthMultiple != 0) {
    throw std::invalid_argument("width " + std::to_string(spec.width) + " does not suit model preset '" + spec.preset +
                                "': its GroupNorms split the channels into groups, so width must be a multiple of " +
                                std::to_string(p.widthMultiple));
  }
  if (p.family != "cunet" && !spec.cunet.empty()) {
    throw std::invalid_argument(
        "model preset '" + spec.preset +
        "' is not a cU-Net: norm, activation, coupling and ode apply to the cunet presets only");
  }
  if (spec.channelsLast && spec.preset != "unet-paper" && spec.preset != "unet-mnist") {
    throw std::invalid_argument("model preset '" + spec.preset +
                                "' has no channelsLast option: it applies to the lucidrains U-Nets, unet-paper and "
                                "unet-mnist (the cU-Nets run NCHW, where they are fastest)");
  }
  if (spec.imageSize == 0) spec.imageSize = p.imageSize;
  if (spec.channels == 0) spec.channels = p.channels;
  return spec;
}

std::shared_ptr<DenoiserImpl> createModel(const ModelSpec& spec) {
  const ModelSpec resolved = resolve(spec);
  return entryNamed(resolved.preset).create(resolved);
}

}  // namespace missingu::models
