// open_files() on a files record already read, with contents from any source (tests use a map).
// Descriptions of a kind in context.openers go to that opener; event files (`events`) also
// take part in install_fds. The caller has made room for the fds (restore/files_fd_room.h).
#pragma once

#include <memory>

#include "common/records/event_files.h"
#include "common/records/files.h"
#include "restore/files_data.h"
#include "restore/files.h"

namespace ckpt::restore {

std::unique_ptr<OpenedFiles> open_files_from(const records::FilesState& state,
                                             const ReadFileData& read_data,
                                             const FilesRestoreContext& context,
                                             const records::EventFilesState& events = {});

}  // namespace ckpt::restore
