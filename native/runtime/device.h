#pragma once
// The devices this build and this machine offer, and the device an option names.
#include <c10/core/Device.h>

#include <string>

namespace missingu {

// Resolves 'auto' | 'cpu' | 'cuda' | 'cuda:N' to a device that exists here, or throws
// CodedError(Device) saying what is wrong and what to use instead.
c10::Device resolveDevice(const std::string& spec);

bool cudaCompiledIn();
int cudaDeviceCount();

}  // namespace missingu
