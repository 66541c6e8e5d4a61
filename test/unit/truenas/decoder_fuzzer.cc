// libFuzzer entry point for the TrueNAS response decoder (built with clang and -DTNAS_FUZZ=ON).
#include <cstddef>
#include <cstdint>
#include <string>

#include "test/unit/truenas/decoder_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tnascsi::controller::truenas::fuzzDecodeOne(
      std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
