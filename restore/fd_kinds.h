// Opening one open file description of the image again, by kind. restore/fd_kinds.cc holds the
// table of kinds: one opener for each kind of common/records/file_kinds.def (files and
// directories by path, devices, the console, eventfds, TCP sockets and message queues here;
// pipes: restore/pipes.h; deleted files: files_deleted.h; event files: event_files.h; namespace
// files: ns_files.h; pidfds by their holders: pidfds.h; kinds whose state the restore of their
// resource makes first: the openers it adds, restore/files_kind_openers.h).
#pragma once

#include <cstdint>
#include <map>

#include "common/records/files.h"
#include "common/unique_fd.h"
#include "restore/files.h"

namespace ckpt::restore {

class RestoredPipes;
class DeletedFiles;
class EventFiles;

// The flags open(2) gets to recreate a description with recorded status flags: no creation,
// truncation or close-on-exec, never a controlling tty.
int reopen_flags(uint32_t recorded_flags);

// Opens the file `fd` refers to again, as a new description with `recorded_flags`
// (open of /proc/self/fd/FD: works for pipes and deleted files too).
UniqueFd reopen(int fd, uint32_t recorded_flags);

// Moves to the recorded offset (not for O_PATH descriptions or unseekable files).
void restore_offset(int fd, const records::FileDescription& d);

// What the openers draw on while open_files() runs in the root task.
struct OpenSources {
  RestoredPipes& pipes;
  DeletedFiles& deleted;
  const EventFiles& events;
  const FilesRestoreContext& context;
  // The descriptions opened so far (id -> fd): inotify instances, opened after every other
  // kind, watch removed inodes through them.
  const std::map<uint64_t, UniqueFd>& opened;
};

// Description `d` opened again by the opener of its kind; no fd for a kind that the processes
// holding it open themselves once the tree is forked (pidfds, /proc/<pid> files).
UniqueFd open_description(const records::FileDescription& d, const OpenSources& sources);

// Whether the table has an opener for `kind` (every kind of file_kinds.def must have one).
bool has_opener(records::FileKind kind);

}  // namespace ckpt::restore
