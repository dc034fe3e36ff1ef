#pragma once

#include "common/records/fields.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::records {

struct ThreadId {
  int32_t host_tid = 0;  // at dump time
  int32_t ns_tid = 0;    // inside the container's pid namespace

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, host_tid, ns_tid);
  }
};

// One process of the container. Ids other than host_pid are as seen inside the container.
struct ProcessEntry {
  int32_t host_pid = 0;
  int32_t pid = 0;
  int32_t ppid = 0;  // 0 for the container's init
  int32_t pgid = 0;
  int32_t sid = 0;
  std::vector<ThreadId> threads;  // the main thread first
  std::string comm;
  std::vector<std::string> cmdline;
  // A zombie: exited, not yet reaped by its parent; restored as one, with the same status for
  // the parent's wait(). Nothing else of it is dumped. Version 2.
  bool zombie = false;
  int32_t exit_status = 0;  // as wait() reports it
  // Shares its parent's fd table (clone CLONE_FILES) or cwd/root/umask (CLONE_FS) without being
  // one of its threads: restored by a clone with the same flag, the table or state made once,
  // by the parent (ckpt/shared_tables). Version 3.
  bool shares_parent_files = false;
  bool shares_parent_fs = false;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, host_pid, pid, ppid, pgid, sid, threads, comm, cmdline);
    if (version >= 2) fields(ar, zombie, exit_status);
    if (version >= 3) fields(ar, shares_parent_files, shares_parent_fs);
  }
};

// Every process of the container, parents before children.
struct ProcessTree {
  std::vector<ProcessEntry> processes;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, processes);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::ThreadId, 1)
BOOST_CLASS_VERSION(ckpt::records::ProcessEntry, 3)
BOOST_CLASS_VERSION(ckpt::records::ProcessTree, 1)
