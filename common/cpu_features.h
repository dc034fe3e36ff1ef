// The CPU features a process may have chosen code by (CPUID bits, XCR0 xsave components), read on
// this host and compared with those an image was dumped with.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/records/cpu.h"

namespace ckpt {

// The CPUID registers the features are read from, keyed "LEAF.SUBLEAF.REG" ("7.0.ebx").
using CpuidWords = std::map<std::string, uint32_t>;

// This CPU's words (cpuid instruction) and XCR0 (xgetbv; 0 without OSXSAVE).
CpuidWords host_cpuid_words();
uint64_t host_xcr0();

// The named features set in `words` and `xcr0`, sorted.
records::CpuFeatures features_from(const CpuidWords& words, uint64_t xcr0);
records::CpuFeatures host_cpu_features();

// What `image` has that `host` lacks, by name ("avx512f", "xsave component 7 (hi16_zmm)").
std::vector<std::string> missing_cpu_features(const records::CpuFeatures& image,
                                              const records::CpuFeatures& host);

}  // namespace ckpt
