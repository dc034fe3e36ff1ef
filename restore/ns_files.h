// Restore of fds on namespace files (ckpt/ns_files.h): the restored container's namespace of the
// recorded type, opened in the root task (which is in every namespace the restore makes anew).
#pragma once

#include "common/records/files.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

UniqueFd open_namespace_file(const records::FileDescription& d);

}  // namespace ckpt::restore
