// Dump of the container's open files: every fd of every process, the open file descriptions
// behind them (shared ones once), pipe and FIFO buffers, deleted files' contents.
// (Contract shared by the process and the file work; implementation in ckpt/files.cc.)
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/image/image.h"
#include "common/records/files.h"

namespace ckpt::dump {

struct FilesContext {
  std::vector<pid_t> pids;   // host pids of every process of the container, all seized
  std::string console_path;  // host path of the container's console log (stdout/stderr)
};

// Collects the fd tables of all processes and writes section kFiles (id 0) plus kFileData
// sections; returns the record written. Throws Error naming pid, fd and type for an fd kind
// that is not supported, before anything is written.
records::FilesState dump_files(const FilesContext& context, image::ImageWriter& image);

}  // namespace ckpt::dump
