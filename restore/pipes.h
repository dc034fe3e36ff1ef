// Pipes and FIFOs made again: each pipe once, with its capacity and the data it held, and every
// description of it (either end, any sharer) opened on that one pipe.
#pragma once

#include <cstdint>
#include <map>

#include "common/records/files.h"
#include "common/unique_fd.h"
#include "restore/file_data.h"

namespace ckpt::restore {

class RestoredPipes {
 public:
  // Creates every pipe of `state` and refills it.
  RestoredPipes(const records::FilesState& state, const ReadFileData& read_data);

  // A new description on the pipe of `d` (kPipe or kFifo) with its recorded flags.
  UniqueFd open_description(const records::FileDescription& d) const;

 private:
  struct Ends {
    UniqueFd read;   // an O_RDONLY or O_RDWR handle keeping the pipe and its data alive
    UniqueFd write;  // unnamed pipes only
  };
  std::map<uint64_t, Ends> pipes_;  // by PipeObject::id
};

}  // namespace ckpt::restore
