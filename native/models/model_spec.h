#pragma once
// What models.create and a training config's model section say about a network: a preset, the images it
// takes, and the cU-Net options that change its layers. Checkpoints record it (config.json's model section),
// so a loaded model is built as the one that was trained.
#include <cstdint>
#include <optional>
#include <string>

#include "models/activation.h"
#include "models/cunet_choices.h"

namespace missingu::models {

// How each ODE block integrates; nullopt keeps the preset's (one 3/8-rule RK4 step, no adjoint).
struct OdeSettings {
  std::optional<std::string> method;
  std::optional<int64_t> steps;
  std::optional<bool> adjoint;
  std::optional<double> rtol, atol;
  bool operator==(const OdeSettings&) const = default;
};

// The layer choices a cU-Net preset leaves open; nullopt keeps the preset's. Other presets take none.
struct CUNetSettings {
  std::optional<NormKind> norm;          // in the ODE functions
  std::optional<Activation> activation;  // every activation of the network
  std::optional<Coupling> coupling;
  OdeSettings ode;
  bool empty() const { return *this == CUNetSettings{}; }
  bool operator==(const CUNetSettings&) const = default;
};

struct ModelSpec {
  std::string preset;
  int64_t imageSize = 0;  // image side; 0: the preset's
  int64_t channels = 0;   // image channels; 0: the preset's
  // The base channel count (nf of a cU-Net, dim of a lucidrains U-Net, ch of the DDPM U-Net); 0: the preset's.
  int64_t width = 0;
  CUNetSettings cunet;
  // lucidrains U-Nets: NHWC activations and weights; nullopt keeps the preset's (unet-paper on, unet-mnist off).
  std::optional<bool> channelsLast;
  bool operator==(const ModelSpec&) const = default;
};

// "cunet-mnist (norm group, activation relu) for 1x28x28 images", for messages.
std::string describe(const ModelSpec& spec);

}  // namespace missingu::models
