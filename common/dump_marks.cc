#include "common/dump_marks.h"

#include <unistd.h>

#include "common/container_state.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/ptrace/injection_journal.h"

namespace ckpt {

std::filesystem::path recovery_dir(const std::string& id) {
  return state_root() / ".recovery" / id;
}

DumpMarks::DumpMarks(const std::string& id, const std::string& output) : dir_(recovery_dir(id)) {
  std::error_code ec;
  if (std::filesystem::exists(dir_, ec))  // the recovery run under the lock did not finish
    fail("container {}: what a killed dump left is not all undone yet ({}); try again", id,
         dir_.string());
  std::filesystem::create_directories(dir_);
  if (!output.empty() && output != "-")
    fs::write_file_atomic(dir_ / "output", std::filesystem::absolute(output).string(), 0600);
  ptrace::set_injection_journal((dir_ / "threads").string());
}

DumpMarks::~DumpMarks() {
  ptrace::set_injection_journal("");
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void DumpMarks::set_frozen(bool frozen) {
  if (frozen)
    fs::write_file_atomic(dir_ / "frozen", "", 0600);
  else
    ::unlink((dir_ / "frozen").c_str());
}

void DumpMarks::note_muted_watches(const std::string& lines) {
  if (lines.empty())
    ::unlink((dir_ / "muted_watches").c_str());
  else
    fs::write_file_atomic(dir_ / "muted_watches", lines, 0600);
}

void DumpMarks::note_tcp_lock(const std::vector<std::string>& links,
                              const std::vector<std::pair<pid_t, int>>& sockets) {
  std::string text;
  for (const auto& link : links) text += "link " + link + "\n";
  for (auto [pid, fd] : sockets) text += "socket " + std::to_string(pid) + " " + std::to_string(fd) + "\n";
  fs::write_file_atomic(dir_ / "tcp_lock", text, 0600);
}

}  // namespace ckpt
