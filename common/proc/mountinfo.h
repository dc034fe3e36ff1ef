// /proc/PID/mountinfo: the mounts of a process's mount namespace, in mount order, with paths as
// seen from that process's root.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ckpt::proc {

struct MountInfo {
  int id = 0;
  int parent = 0;
  unsigned major = 0, minor = 0;  // of the mounted filesystem (st_dev of its files)
  std::string root;               // the directory of the filesystem mounted here ("/" = all)
  std::string mount_point;        // relative to the process's root
  std::string mount_options;      // per mount: rw/ro, nosuid, nodev, noexec, *atime
  std::string propagation;        // the optional fields: "shared:N", "master:N", "unbindable"...
  std::string fstype;             // "tmpfs", "proc", ...
  std::string source;             // "tmpfs", "/dev/vda", ...
  std::string super_options;      // per filesystem: rw/ro, size=..., mode=...

  bool same_filesystem(const MountInfo& o) const { return major == o.major && minor == o.minor; }
};

// Parses mountinfo text (octal escapes such as \040 undone). Throws Error naming `what` and the
// line on a malformed line.
std::vector<MountInfo> parse_mountinfo(const std::string& text, const std::string& what);
// /proc/PID/mountinfo, or /proc/self/mountinfo for pid 0.
std::vector<MountInfo> read_mountinfo(pid_t pid = 0);

// Whether `path` is `dir` or below it ("/a/b" is below "/a", "/ab" is not; all is below "/").
bool is_below(const std::string& path, const std::string& dir);
// `path` relative to `dir` with a leading "/" ("/a/b" in "/a" -> "/b", "/a" in "/a" -> "/").
std::string relative_to(const std::string& path, const std::string& dir);
// `path` as seen from our root, as a process whose root is `root` sees it: relative to `root`
// when below it, else unchanged ("/ROOT/a" with root "/ROOT" -> "/a").
std::string path_in_root(const std::string& path, const std::string& root);

}  // namespace ckpt::proc
