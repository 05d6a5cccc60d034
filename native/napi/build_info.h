#pragma once
#include <map>
#include <string>

namespace missingu {

// Hash of the native sources this binary was compiled from (scripts/native-sources.js --hash).
const char* sourceHash();

// Compiler, build system and libtorch feature flags, for info().build (the CUDA build adds cudaVersion
// and cudaArchs).
std::map<std::string, std::string> buildFlags();

}  // namespace missingu
