#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "data/image_source.h"

namespace missingu {

// The images a call trains on or draws from: a Float32Array (copied, so the call owns it) or { file } (a
// prepared dataset's images.u8, read batch by batch), with their shape [N, C, H, W]; images are square.
// Errors name `where` (the calling function).
std::shared_ptr<data::ImageSource> datasetArgument(const Napi::Value& value, const Napi::Value& shapeValue,
                                                   const std::string& where);

}  // namespace missingu
