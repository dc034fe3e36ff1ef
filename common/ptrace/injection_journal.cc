#include "common/ptrace/injection_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <cstring>
#include <mutex>

#include "common/fs.h"
#include "common/log.h"

namespace ckpt::ptrace {

namespace {

std::mutex g_mutex;
std::string g_dir;

std::string entry_path(pid_t tid) {
  return g_dir + "/" + std::to_string(tid);
}

}  // namespace

void set_injection_journal(const std::string& dir) {
  std::lock_guard lock(g_mutex);
  g_dir = dir;
  if (!dir.empty()) std::filesystem::create_directories(dir);
}

void journal_held(const JournalEntry& entry) {
  std::lock_guard lock(g_mutex);
  if (g_dir.empty()) return;
  int fd = ::open(entry_path(entry.tid).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || !fs::try_write_all(fd, std::string_view(reinterpret_cast<const char*>(&entry),
                                                        sizeof entry)))
    spdlog::warn("injection journal: cannot record thread {}", entry.tid);
  if (fd >= 0) ::close(fd);
}

void journal_released(pid_t tid) {
  std::lock_guard lock(g_mutex);
  if (!g_dir.empty()) ::unlink(entry_path(tid).c_str());
}

std::vector<JournalEntry> read_injection_journal(const std::string& dir) {
  std::vector<JournalEntry> out;
  std::error_code ec;
  for (const auto& file : std::filesystem::directory_iterator(dir, ec)) {
    auto bytes = fs::try_read_file(file.path());
    JournalEntry entry;
    if (!bytes || bytes->size() != sizeof entry) continue;
    std::memcpy(&entry, bytes->data(), sizeof entry);
    out.push_back(entry);
  }
  return out;
}

}  // namespace ckpt::ptrace
