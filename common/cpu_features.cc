#include "common/cpu_features.h"

#include <cpuid.h>
#include <fmt/format.h>

#include <algorithm>

namespace ckpt {

namespace {

struct Bit {
  const char* word;
  int bit;
  const char* name;
};

// Features user-space code dispatches on (glibc's ifuncs, compilers' -march, libraries'
// runtime checks). Bits of the platform (apic, hypervisor, osxsave ...) are left out: they
// say nothing about the instructions a process may be executing.
constexpr Bit kFeatures[] = {
    {"1.0.edx", 23, "mmx"},
    {"1.0.edx", 25, "sse"},
    {"1.0.edx", 26, "sse2"},
    {"1.0.ecx", 0, "sse3"},
    {"1.0.ecx", 1, "pclmulqdq"},
    {"1.0.ecx", 9, "ssse3"},
    {"1.0.ecx", 12, "fma"},
    {"1.0.ecx", 13, "cx16"},
    {"1.0.ecx", 19, "sse4_1"},
    {"1.0.ecx", 20, "sse4_2"},
    {"1.0.ecx", 22, "movbe"},
    {"1.0.ecx", 23, "popcnt"},
    {"1.0.ecx", 25, "aes"},
    {"1.0.ecx", 26, "xsave"},
    {"1.0.ecx", 28, "avx"},
    {"1.0.ecx", 29, "f16c"},
    {"1.0.ecx", 30, "rdrand"},
    {"7.0.ebx", 3, "bmi1"},
    {"7.0.ebx", 5, "avx2"},
    {"7.0.ebx", 8, "bmi2"},
    {"7.0.ebx", 9, "erms"},
    {"7.0.ebx", 16, "avx512f"},
    {"7.0.ebx", 17, "avx512dq"},
    {"7.0.ebx", 18, "rdseed"},
    {"7.0.ebx", 19, "adx"},
    {"7.0.ebx", 21, "avx512ifma"},
    {"7.0.ebx", 23, "clflushopt"},
    {"7.0.ebx", 24, "clwb"},
    {"7.0.ebx", 26, "avx512pf"},
    {"7.0.ebx", 27, "avx512er"},
    {"7.0.ebx", 28, "avx512cd"},
    {"7.0.ebx", 29, "sha_ni"},
    {"7.0.ebx", 30, "avx512bw"},
    {"7.0.ebx", 31, "avx512vl"},
    {"7.0.ecx", 1, "avx512vbmi"},
    {"7.0.ecx", 6, "avx512_vbmi2"},
    {"7.0.ecx", 8, "gfni"},
    {"7.0.ecx", 9, "vaes"},
    {"7.0.ecx", 10, "vpclmulqdq"},
    {"7.0.ecx", 11, "avx512_vnni"},
    {"7.0.ecx", 12, "avx512_bitalg"},
    {"7.0.ecx", 14, "avx512_vpopcntdq"},
    {"7.0.ecx", 22, "rdpid"},
    {"7.0.ecx", 27, "movdiri"},
    {"7.0.ecx", 28, "movdir64b"},
    {"7.0.edx", 2, "avx512_4vnniw"},
    {"7.0.edx", 3, "avx512_4fmaps"},
    {"7.0.edx", 4, "fsrm"},
    {"7.0.edx", 8, "avx512_vp2intersect"},
    {"7.0.edx", 14, "serialize"},
    {"7.0.edx", 22, "amx_bf16"},
    {"7.0.edx", 23, "avx512_fp16"},
    {"7.0.edx", 24, "amx_tile"},
    {"7.0.edx", 25, "amx_int8"},
    {"7.1.eax", 4, "avx_vnni"},
    {"7.1.eax", 5, "avx512_bf16"},
    {"d.1.eax", 0, "xsaveopt"},
    {"d.1.eax", 1, "xsavec"},
    {"d.1.eax", 3, "xsaves"},
    {"80000001.0.ecx", 0, "lahf_lm"},
    {"80000001.0.ecx", 5, "abm"},
    {"80000001.0.ecx", 6, "sse4a"},
    {"80000001.0.ecx", 8, "3dnowprefetch"},
    {"80000001.0.ecx", 11, "xop"},
    {"80000001.0.ecx", 16, "fma4"},
    {"80000001.0.ecx", 21, "tbm"},
    {"80000001.0.edx", 27, "rdtscp"},
};

// XCR0 bits: the xsave components (Intel SDM vol. 1, 13.1).
constexpr const char* kXsaveComponents[] = {"x87",    "sse",       "avx",      "bndregs",  "bndcsr",
                                            "opmask", "zmm_hi256", "hi16_zmm", "pt",       "pkru",
                                            "pasid",  "cet_u",     "cet_s",    "hdc",      "uintr",
                                            "lbr",    "hwp",       "xtilecfg", "xtiledata"};

std::string component_name(int bit) {
  const char* name =
      bit < static_cast<int>(std::size(kXsaveComponents)) ? kXsaveComponents[bit] : "unknown";
  return fmt::format("xsave component {} ({})", bit, name);
}

void read_leaf(CpuidWords& out, unsigned leaf, unsigned subleaf, const char* prefix) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(leaf, subleaf, &a, &b, &c, &d)) return;
  out[fmt::format("{}.eax", prefix)] = a;
  out[fmt::format("{}.ebx", prefix)] = b;
  out[fmt::format("{}.ecx", prefix)] = c;
  out[fmt::format("{}.edx", prefix)] = d;
}

}  // namespace

CpuidWords host_cpuid_words() {
  CpuidWords words;
  read_leaf(words, 1, 0, "1.0");
  read_leaf(words, 7, 0, "7.0");
  read_leaf(words, 7, 1, "7.1");
  read_leaf(words, 0xd, 1, "d.1");
  read_leaf(words, 0x80000001, 0, "80000001.0");
  return words;
}

uint64_t host_xcr0() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;  // no OSXSAVE
  uint32_t lo = 0, hi = 0;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

records::CpuFeatures features_from(const CpuidWords& words, uint64_t xcr0) {
  records::CpuFeatures out;
  out.xcr0 = xcr0;
  for (const Bit& f : kFeatures) {
    auto it = words.find(f.word);
    if (it != words.end() && (it->second >> f.bit & 1)) out.features.emplace_back(f.name);
  }
  std::sort(out.features.begin(), out.features.end());
  return out;
}

records::CpuFeatures host_cpu_features() {
  return features_from(host_cpuid_words(), host_xcr0());
}

std::vector<std::string> missing_cpu_features(const records::CpuFeatures& image,
                                              const records::CpuFeatures& host) {
  std::vector<std::string> missing;
  for (const auto& name : image.features)
    if (!std::binary_search(host.features.begin(), host.features.end(), name))
      missing.push_back(name);
  uint64_t lacking = image.xcr0 & ~host.xcr0;
  for (int bit = 0; bit < 64; ++bit)
    if (lacking >> bit & 1) missing.push_back(component_name(bit));
  return missing;
}

}  // namespace ckpt
