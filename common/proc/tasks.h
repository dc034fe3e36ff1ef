// Listing threads and children through /proc.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <vector>

namespace ckpt::proc {

// Thread ids of process `pid` (/proc/PID/task), sorted, the main thread included.
std::vector<pid_t> list_threads(pid_t pid, const std::filesystem::path& proc_root = "/proc");
// Children of every thread of `pid` (/proc/PID/task/*/children), sorted.
std::vector<pid_t> list_children(pid_t pid, const std::filesystem::path& proc_root = "/proc");
// The space-separated command line of /proc/PID/cmdline, split at NULs.
std::vector<std::string> read_cmdline(pid_t pid, const std::filesystem::path& proc_root = "/proc");

}  // namespace ckpt::proc
