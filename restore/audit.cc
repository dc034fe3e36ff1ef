#include "restore/audit.h"

#include <chrono>

#include "common/audit/collect.h"
#include "common/audit/compare.h"
#include "common/audit/scope.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/records/container.h"

namespace ckpt::restore {

namespace {

using image::SectionType;

// Names skipped because this restore legitimately changes them.
std::vector<std::string> ignored_names(const image::ImageReader& image,
                                       const ContainerState& state,
                                       const RestoreOptions& options) {
  std::vector<std::string> ignore = options.check_ignore;
  // Rootfs files unpacked or taken from elsewhere: same paths, other inodes.
  auto dumped = image.get<records::ContainerConfig>(SectionType::kConfig, 0);
  if (dumped.rootfs != state.config.rootfs) ignore.push_back(" inode");
  return ignore;
}

}  // namespace

void check_restored(const image::ImageReader& image, const std::map<pid_t, pid_t>& host_pids,
                    const ContainerState& state, const RestoreOptions& options) {
  if (!options.check && !options.check_report) return;
  if (!image.has(SectionType::kAudit, 0))
    fail("restore --check: the image has no audit facts (dumped by an older ckpt)");
  auto start = std::chrono::steady_clock::now();
  auto original = image.get<records::AuditFacts>(SectionType::kAudit, 0);
  auto tree = image.get<records::ProcessTree>(SectionType::kProcessTree, 0);
  auto restored = audit::collect_audit(
      audit::scope_of_tree(tree, host_pids, state.cgroup_path, state.dir().string()));
  auto differences =
      audit::compare_audit(original, restored, ignored_names(image, state, options));
  spdlog::info("audit of {} processes compared in {:.1f} ms: {} differences",
               restored.processes.size(), ms_since(start), differences.size());
  if (differences.empty()) return;
  for (const auto& d : differences) spdlog::warn("check: {}", audit::describe(d));
  if (!options.check_report)
    fail("restore --check: the restored container differs from the original in {} facts "
         "(first: {})",
         differences.size(), audit::describe(differences.front()));
}

}  // namespace ckpt::restore
