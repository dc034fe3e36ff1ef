// Helpers shared by the files tests that run real processes.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "common/fs.h"

namespace files_test {

// True (with a warning) when the test cannot run because we are not root.
inline bool skip_unless_root() {
  if (geteuid() == 0) return false;
  WARN("skipped: needs root");
  return true;
}

// Whether `pid` is in a stopped state ("T" in /proc/PID/stat).
inline bool stopped(pid_t pid) {
  auto stat = ckpt::fs::try_read_file("/proc/" + std::to_string(pid) + "/stat");
  return stat && stat->substr(stat->rfind(')') + 2, 1) == "T";
}

// A directory /tmp/<name>-<pid>, removed with everything in it at the end of the test.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& name)
      : path("/tmp/" + name + "-" + std::to_string(getpid())) {
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace files_test
