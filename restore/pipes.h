// Pipes and FIFOs made again: each pipe once, with its capacity and the data it held, and every
// description of it (either end, any sharer) opened on that one pipe.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/records/files.h"
#include "common/unique_fd.h"
#include "restore/files_data.h"

namespace ckpt::restore {

class RestoredPipes {
 public:
  // Creates every pipe of `state` and refills it.
  RestoredPipes(const records::FilesState& state, const ReadFileData& read_data);

  // A description on the pipe of `d` (kPipe or kFifo) with its recorded flags: for unnamed
  // pipes the first reader and writer get pipe2()'s own ends, others reopen the pipe
  // (FIFOs by path, unnamed pipes through /proc/self/fd).
  UniqueFd open_description(const records::FileDescription& d);

 private:
  struct Ends {
    UniqueFd read;          // an O_RDONLY or O_RDWR handle keeping the pipe and its data alive
    UniqueFd write;         // unnamed pipes only
    std::string fifo_path;  // FIFOs only
    bool read_given = false;
    bool write_given = false;
  };
  std::map<uint64_t, Ends> pipes_;  // by PipeObject::id
};

}  // namespace ckpt::restore
