// open_files() on a files record already read, with contents from any source (tests use a map).
#pragma once

#include <memory>

#include "common/records/event_files.h"
#include "common/records/files.h"
#include "restore/file_data.h"
#include "restore/files.h"
#include "restore/sockets.h"

namespace ckpt::restore {

std::unique_ptr<OpenedFiles> open_files_from(const records::FilesState& state,
                                             const ReadFileData& read_data,
                                             const FilesRestoreContext& context,
                                             const SocketsImage& sockets = {},
                                             const records::EventFilesState& events = {});

}  // namespace ckpt::restore
