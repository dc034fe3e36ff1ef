#include "runtime/check_image.h"

#include <fmt/ranges.h>
#include <unistd.h>

#include "common/error.h"
#include "common/image/image.h"
#include "netns/netns.h"
#include "restore/cpu.h"
#include "restore/mounts.h"

namespace ckpt::check {

namespace {

Fact cpu(const image::ImageReader& image) {
  auto missing = restore::missing_cpu_features(image);
  if (!missing) return {"image cpu", Level::kWarn, "the image does not record its CPU's features"};
  if (missing->empty())
    return {"image cpu", Level::kOk, "this CPU has every feature the image's had"};
  return {"image cpu", Level::kMissing,
          fmt::format("this CPU lacks {}", fmt::join(*missing, ", "))};
}

// A restore precondition checked by running its check: ok, or missing with its message.
template <typename Check>
Fact precondition(const char* name, const char* ok, Check&& check) {
  try {
    check();
    return {name, Level::kOk, ok};
  } catch (const Error& e) {
    return {name, Level::kMissing, e.what()};
  }
}

}  // namespace

std::vector<Fact> probe_image(const std::string& path) {
  image::ImageReader image(path);
  std::vector<Fact> facts{cpu(image)};
  facts.push_back(precondition("image network", "every bridge and link parent exists", [&] {
    if (image.has(image::SectionType::kNetNs, 0))
      // Under a new name: the image's own container may still run, with its host veths.
      netns::preflight_netns(image.get<records::NetNamespace>(image::SectionType::kNetNs, 0),
                             fmt::format("check-{}", ::getpid()), {});
  }));
  facts.push_back(precondition("image mounts", "every bind mount source exists",
                               [&] { restore::MountsRestore(image, restore::MountMap({})); }));
  return facts;
}

}  // namespace ckpt::check
