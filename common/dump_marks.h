// What a dump in progress leaves on disk so that a `kill -9` of it can be undone by the next
// ckpt command on the container (runtime/dump_recovery), under <state root>/.recovery/ID:
//   threads/TID   the registers and signal mask of a thread holding an injected system call,
//                 and its scratch area (common/ptrace/injection_journal.h)
//   threads/vdso-PID  the bytes of the vdso of PID that a trampoline replaced
//                 (common/ptrace/vdso_patch.h)
//   threads/made-TID  a descriptor a call injected into TID made for ckpt, until closed there
//   frozen        present while the dump holds the container frozen
//   output        the image path, whose temp file (PATH.tmp.XXXXXX) is to be removed
//   muted_watches each inotify watch and fanotify mark of the container muted for the dump's own
//                 reads (ckpt/event_files_muted): "inotify|fanotify PID FD CHANGE <its fdinfo
//                 line>", written before each change
//   tcp_lock      `--tcp-established`: "link NAME" for each host link held down and "socket PID
//                 FD" for each TCP socket put in repair mode (written before either happens)
// A dump that ends, by success or failure, removes them all, last (after its temp image). The
// recovery strikes what it undid as it goes and removes the rest last, so that a recovery
// killed midway leaves marks the next one completes.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace ckpt {

std::filesystem::path recovery_dir(const std::string& id);

class DumpMarks {
 public:
  // Refuses while marks of a killed dump are still there (the recovery that ran under the lock
  // could not undo all of them): a dump must not seize a thread still parked by another.
  DumpMarks(const std::string& id, const std::string& output);
  ~DumpMarks();
  DumpMarks(const DumpMarks&) = delete;
  DumpMarks& operator=(const DumpMarks&) = delete;

  // Before freezing (true) and after thawing or killing the container (false).
  void set_frozen(bool frozen);
  // Before the network lock of TCP connections is taken: what the next command releases if this
  // dump is killed holding it.
  void note_tcp_lock(const std::vector<std::string>& links,
                     const std::vector<std::pair<pid_t, int>>& sockets);
  // The watches and marks muted so far (ckpt/event_files_muted), one per line; "" once all are
  // given back.
  void note_muted_watches(const std::string& lines);

 private:
  std::filesystem::path dir_;
};

}  // namespace ckpt
