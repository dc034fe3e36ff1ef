#include "common/ptrace/injection_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string_view>

#include "common/fs.h"
#include "common/log.h"

namespace ckpt::ptrace {

namespace {

constexpr std::string_view kPatchPrefix = "vdso-";
constexpr std::string_view kMadeFdPrefix = "made-";

std::mutex g_mutex;
std::string g_dir;
std::map<pid_t, int> g_holders;  // how many RemoteSyscalls hold each thread

std::string thread_path(pid_t tid, const std::string& dir = g_dir) {
  return dir + "/" + std::to_string(tid);
}

std::string patch_path(pid_t pid, const std::string& dir = g_dir) {
  return dir + "/" + std::string(kPatchPrefix) + std::to_string(pid);
}

std::string made_fd_path(pid_t tid, const std::string& dir = g_dir) {
  return dir + "/" + std::string(kMadeFdPrefix) + std::to_string(tid);
}

constexpr std::string_view kPartSuffix = ".part";

// Written whole or not at all (a kill -9 may come between any two calls): a part file renamed
// over the entry. The caller holds g_mutex.
template <typename Entry>
void write_entry(const std::string& path, const Entry& entry) {
  if (g_dir.empty()) return;
  std::string part = path + std::string(kPartSuffix);
  int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool written = fd >= 0 && fs::try_write_all(fd, std::string_view(
                                                      reinterpret_cast<const char*>(&entry),
                                                      sizeof entry));
  if (fd >= 0) ::close(fd);
  if (!written || ::rename(part.c_str(), path.c_str()) != 0)
    spdlog::warn("injection journal: cannot write {}", path);
}

template <typename Entry>
bool read_entry(const std::filesystem::path& path, Entry& entry) {
  auto bytes = fs::try_read_file(path);
  if (!bytes || bytes->size() != sizeof entry) return false;
  std::memcpy(&entry, bytes->data(), sizeof entry);
  return true;
}

}  // namespace

void set_injection_journal(const std::string& dir) {
  std::lock_guard lock(g_mutex);
  g_dir = dir;
  if (!dir.empty()) std::filesystem::create_directories(dir);
}

bool journal_hold(const JournalEntry& entry) {
  std::lock_guard lock(g_mutex);
  if (++g_holders[entry.tid] > 1) return false;
  write_entry(thread_path(entry.tid), entry);
  return true;
}

void journal_update(const JournalEntry& entry) {
  std::lock_guard lock(g_mutex);
  write_entry(thread_path(entry.tid), entry);
}

void journal_release(pid_t tid) {
  std::lock_guard lock(g_mutex);
  auto holders = g_holders.find(tid);
  if (holders != g_holders.end() && --holders->second > 0) return;
  if (holders != g_holders.end()) g_holders.erase(holders);
  if (!g_dir.empty()) ::unlink(thread_path(tid).c_str());
}

void journal_made_fd(const MadeFdEntry& entry) {
  std::lock_guard lock(g_mutex);
  write_entry(made_fd_path(entry.tid), entry);
}

void journal_made_fd_closed(pid_t tid) {
  std::lock_guard lock(g_mutex);
  if (!g_dir.empty()) ::unlink(made_fd_path(tid).c_str());
}

void journal_patched(const PatchEntry& entry) {
  std::lock_guard lock(g_mutex);
  write_entry(patch_path(entry.pid), entry);
}

void journal_unpatched(pid_t pid) {
  std::lock_guard lock(g_mutex);
  if (!g_dir.empty()) ::unlink(patch_path(pid).c_str());
}

InjectionJournal read_injection_journal(const std::string& dir) {
  InjectionJournal out;
  std::error_code ec;
  for (const auto& file : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = file.path().filename().string();
    if (name.ends_with(kPartSuffix)) continue;  // never renamed: the entry before it holds
    if (name.starts_with(kPatchPrefix)) {
      PatchEntry patch;
      if (read_entry(file.path(), patch)) out.patches.push_back(patch);
    } else if (name.starts_with(kMadeFdPrefix)) {
      MadeFdEntry made;
      if (read_entry(file.path(), made)) out.made_fds.push_back(made);
    } else {
      JournalEntry thread;
      if (read_entry(file.path(), thread)) out.threads.push_back(thread);
    }
  }
  return out;
}

void remove_thread_entry(const std::string& dir, pid_t tid) {
  ::unlink(made_fd_path(tid, dir).c_str());
  ::unlink(thread_path(tid, dir).c_str());
}

void remove_patch_entry(const std::string& dir, pid_t pid) {
  ::unlink(patch_path(pid, dir).c_str());
}

}  // namespace ckpt::ptrace
