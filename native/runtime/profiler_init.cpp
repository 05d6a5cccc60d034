#include "runtime/profiler_init.h"

#include <ATen/Context.h>
#include <kineto/libkineto.h>

#include <cstdlib>
#include <mutex>
#include <string_view>

namespace missingu {

namespace {

// Above Kineto's highest severity (USDT, 5): libkineto_init reads it, and with it set Kineto keeps
// its own default (ERROR) from applying.
constexpr const char* kSilentKinetoLevel = "6";

}  // namespace

void initProfilerHere() {
  static std::once_flag once;
  std::call_once(once, [] {
    const auto unset = [](const char* value) { return value == nullptr || *value == '\0'; };
    const char* verbose = std::getenv("MISSING_U_VERBOSE");
    if ((unset(verbose) || std::string_view(verbose) == "0") && unset(std::getenv("KINETO_LOG_LEVEL"))) {
      setenv("KINETO_LOG_LEVEL", kSilentKinetoLevel, /*overwrite=*/1);
    }
    if (!libkineto::api().isProfilerRegistered()) {
      libkineto_init(/*cpuOnly=*/!at::hasCUDA(), /*logOnError=*/true);
    }
  });
}

}  // namespace missingu
