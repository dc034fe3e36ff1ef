// The restore's CPU check over recorded feature sets: CPUID words and XCR0 of two CPUs.
#include <catch2/catch.hpp>

#include "common/cpu_features.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "image_test_support.h"
#include "restore/cpu.h"

using ckpt::CpuidWords;
using ckpt::features_from;
using ckpt::missing_cpu_features;

namespace {

// The AMD EPYC (Zen 4, AVX-512; xcr0 0xe7: x87 sse avx opmask zmm_hi256 hi16_zmm) of the
// machines ckpt is developed on, as recorded there.
const CpuidWords kAvx512Cpu = {
    {"1.0.ecx", 0xfffa3203}, {"1.0.edx", 0x178bfbff},        {"7.0.ebx", 0xf1bf07ab},
    {"7.0.ecx", 0x00405fc6}, {"7.0.edx", 0x00000010},        {"7.1.eax", 0x00000020},
    {"d.1.eax", 0x0000000f}, {"80000001.0.ecx", 0x004003f3}, {"80000001.0.edx", 0x2fd3fbff}};
constexpr uint64_t kAvx512Xcr0 = 0xe7;

// A Haswell class CPU: AVX2, no AVX-512, xcr0 0x7 (x87 sse avx).
const CpuidWords kAvx2Cpu = {{"1.0.ecx", 0x7ffafbff},
                             {"1.0.edx", 0xbfebfbff},
                             {"7.0.ebx", 0x000027ab},
                             {"7.0.ecx", 0x00000000},
                             {"d.1.eax", 0x00000001}};
constexpr uint64_t kAvx2Xcr0 = 0x7;

}  // namespace

TEST_CASE("CPU features: names from CPUID words", "[cpu]") {
  auto f = features_from(kAvx512Cpu, kAvx512Xcr0);
  auto has = [&](const char* name) {
    return std::find(f.features.begin(), f.features.end(), name) != f.features.end();
  };
  CHECK(has("avx2"));
  CHECK(has("avx512f"));
  CHECK(has("avx512bw"));
  CHECK(has("sse4_2"));
  CHECK(has("xsavec"));
  CHECK(has("avx512_bf16"));
  CHECK(has("vaes"));
  CHECK_FALSE(has("avx512_fp16"));
  CHECK_FALSE(has("amx_tile"));
  CHECK(std::is_sorted(f.features.begin(), f.features.end()));
  CHECK(f.xcr0 == 0xe7);
}

TEST_CASE("CPU features: a newer CPU's image on an older CPU names what is missing", "[cpu]") {
  auto image = features_from(kAvx512Cpu, kAvx512Xcr0);
  auto host = features_from(kAvx2Cpu, kAvx2Xcr0);
  auto missing = missing_cpu_features(image, host);
  auto has = [&](const std::string& name) {
    return std::find(missing.begin(), missing.end(), name) != missing.end();
  };
  CHECK(has("avx512f"));
  CHECK(has("avx512dq"));
  CHECK(has("xsave component 5 (opmask)"));
  CHECK(has("xsave component 6 (zmm_hi256)"));
  CHECK(has("xsave component 7 (hi16_zmm)"));
  CHECK_FALSE(has("avx2"));
  CHECK_FALSE(has("xsave component 2 (avx)"));
  // The other way round nothing the image's CPU had is lacking.
  CHECK(missing_cpu_features(host, image).empty());
  CHECK(missing_cpu_features(image, image).empty());
}

TEST_CASE("CPU features: this host can restore what it dumped", "[cpu]") {
  auto host = ckpt::host_cpu_features();
  CHECK_FALSE(host.features.empty());  // x86-64 has sse2 at least
  CHECK(missing_cpu_features(host, host).empty());
}

TEST_CASE("CPU features: restore refuses an image from a CPU with more, by name", "[cpu]") {
  ckpt::image::testing::TempDir dir;
  auto path = (dir.path() / "cpu.ckpt").string();
  auto dumped = ckpt::host_cpu_features();
  // A named string, not a temporary: GCC 12 -O2 warns falsely (array-bounds) on moving a
  // temporary string longer than the small-string buffer into the vector.
  const std::string unknown = "zz_feature_no_cpu_has";  // sorts after every real name
  dumped.features.push_back(unknown);
  dumped.xcr0 |= 1ull << 62;
  {
    ckpt::image::ImageWriter writer(path, ckpt::image::make_header("c"));
    writer.put(ckpt::records::kCpuFeaturesSection, 0, dumped);
    writer.finish();
  }
  ckpt::image::ImageReader reader(path);
  auto missing = ckpt::restore::missing_cpu_features(reader);
  REQUIRE(missing);
  CHECK(*missing ==
        std::vector<std::string>{"zz_feature_no_cpu_has", "xsave component 62 (unknown)"});
  try {
    ckpt::restore::refuse_missing_cpu_features(reader);
    FAIL("not refused");
  } catch (const ckpt::Error& e) {
    CHECK(ckpt::kind_of(e) == ckpt::ErrorKind::kHostMissing);
    CHECK_THAT(e.what(),
               Catch::Contains("zz_feature_no_cpu_has") && Catch::Contains("--skip-cpu-check"));
  }
}

TEST_CASE("errors: a layer's uncategorised failures get its category", "[error]") {
  try {
    ckpt::classify_errors(ckpt::ErrorKind::kImage, [] { ckpt::fail("bad section"); });
  } catch (const ckpt::Error& e) {
    CHECK(ckpt::kind_of(e) == ckpt::ErrorKind::kImage);
  }
  try {
    ckpt::classify_errors(ckpt::ErrorKind::kImage,
                          [] { ckpt::fail(ckpt::ErrorKind::kBusy, "busy"); });
  } catch (const ckpt::Error& e) {
    CHECK(ckpt::kind_of(e) == ckpt::ErrorKind::kBusy);  // a category given stays
  }
  try {
    errno = ENOSYS;
    ckpt::throw_errno("clone3");
  } catch (const ckpt::Error& e) {
    CHECK(ckpt::kind_of(e) == ckpt::ErrorKind::kKernel);
  }
  CHECK(ckpt::exit_code(ckpt::ErrorKind::kCancelled) == 9);
}
