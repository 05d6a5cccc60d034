#pragma once
#include <c10/core/Device.h>

#include <string>

namespace missingu {

// Resolves 'auto' | 'cpu' | 'cuda' | 'cuda:N' to a device that exists here, or throws
// std::invalid_argument saying what is wrong and what to use instead.
c10::Device resolveDevice(const std::string& spec);

bool cudaCompiledIn();
int cudaDeviceCount();

}  // namespace missingu
