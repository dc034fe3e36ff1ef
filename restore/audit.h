// The audit's restore side (`ckpt restore --check`): just before the restored processes
// resume, the same facts as at dump time (common/audit/collect.h) are taken from them and
// compared with the image's; every difference is printed by name (pid, fact, original value,
// restored value) and fails the restore, which then leaves nothing behind — or, with
// --check-report, is only reported.
#pragma once

#include <map>

#include "common/container_state.h"
#include "common/image/image.h"
#include "restore/restore.h"

namespace ckpt::restore {

// `host_pids`: pid in the container -> host pid of every restored process (stopped).
void check_restored(const image::ImageReader& image, const std::map<pid_t, pid_t>& host_pids,
                    const ContainerState& state, const RestoreOptions& options);

}  // namespace ckpt::restore
