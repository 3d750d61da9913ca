// --cpu-features: which x86 extended-state variant the guest gets.
//
// A variant fixes XCR0 and, coherently, what CPUID advertises (leaf 1 AVX,
// leaf 7 AVX2/AVX-512, leaf 0xD), so a program's feature detection (glibc's
// string functions, __builtin_cpu_supports) and the LibOS's xsave areas agree
// with what the vCPU really has. It exists so CPU-dependent code is tested
// under every variant on any host, not only under the host's best: the same
// image must behave alike on every x86-64 host, with or without AVX-512.
#pragma once

#include <optional>
#include <string_view>

namespace shoal::vmm {

enum class CpuFeatures {
  host,      // the best of the below the host's KVM offers (the default)
  baseline,  // x87 + SSE (XCR0 0x3): no AVX at all
  avx,       // + AVX/AVX2 (XCR0 0x7)
  avx512,    // + AVX-512 opmask, ZMM_Hi256, Hi16_ZMM (XCR0 0xe7)
};

inline std::optional<CpuFeatures> parse_cpu_features(std::string_view text) {
  if (text == "host") return CpuFeatures::host;
  if (text == "baseline") return CpuFeatures::baseline;
  if (text == "avx") return CpuFeatures::avx;
  if (text == "avx512") return CpuFeatures::avx512;
  return std::nullopt;
}

inline const char* cpu_features_name(CpuFeatures f) {
  switch (f) {
    case CpuFeatures::host: return "host";
    case CpuFeatures::baseline: return "baseline";
    case CpuFeatures::avx: return "avx";
    case CpuFeatures::avx512: return "avx512";
  }
  return "?";
}

}  // namespace shoal::vmm
