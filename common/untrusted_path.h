// Paths read from an image are untrusted input: `ckpt restore` runs as root, and an image may come
// from a pipe, a backup store or another host. These checks keep every such path inside the place
// it names: each component a plain name (not "", "." or "..", no '/', no NUL), and opening below
// a directory by openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so that neither ".." nor a
// symlink (one the image made a moment earlier included) can lead out of it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace ckpt::fs {

// `text` (from an image or a command line: any bytes) for an error line: control bytes as \xNN,
// cut after 256 bytes.
std::string printable(std::string_view text);

// True for one plain path component: "a", ".hidden"; false for "", ".", "..", "a/b", "a\0b".
bool is_plain_name(std::string_view name);

// Refuses, naming `what` and the path, anything but "a/b/c" made of plain names.
void check_relative_path(std::string_view path, std::string_view what);
// The same for an absolute path "/a/b/c" ("/" itself is allowed).
void check_absolute_path(std::string_view path, std::string_view what);

// Opens `rel` (checked as above; "" is `dir` itself) below the directory `dir`, following no
// symlink at any level and never leaving `dir`; throws with errno on failure.
UniqueFd open_beneath(int dir, std::string_view rel, int flags, mode_t mode = 0);

// The directory holding `rel` below `dir` (opened O_PATH as above) and rel's last component.
struct ParentDir {
  UniqueFd fd;
  std::string name;
};
ParentDir open_parent_beneath(int dir, std::string_view rel);

// Removes the directory `name` (a plain name) in `dir` with everything below it, following no
// symlink (each level opened O_NOFOLLOW relative to the one above).
void remove_tree_at(int dir, const std::string& name);

}  // namespace ckpt::fs
