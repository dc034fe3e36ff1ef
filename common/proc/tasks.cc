#include "common/proc/tasks.h"

#include <algorithm>
#include <sstream>
#include <string>

#include "common/error.h"
#include "common/fs.h"

namespace ckpt::proc {

std::vector<pid_t> list_threads(pid_t pid, const std::filesystem::path& proc_root) {
  std::vector<pid_t> tids;
  std::error_code ec;
  auto dir = proc_root / std::to_string(pid) / "task";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    tids.push_back(static_cast<pid_t>(std::stol(entry.path().filename().string())));
  if (ec) fail("list {}: {}", dir.string(), ec.message());
  std::sort(tids.begin(), tids.end());
  return tids;
}

std::vector<pid_t> list_children(pid_t pid, const std::filesystem::path& proc_root) {
  std::vector<pid_t> children;
  for (pid_t tid : list_threads(pid, proc_root)) {
    auto path = proc_root / std::to_string(pid) / "task" / std::to_string(tid) / "children";
    auto text = fs::try_read_file(path);
    if (!text) continue;  // the thread exited meanwhile
    std::istringstream in(*text);
    long child;
    while (in >> child) children.push_back(static_cast<pid_t>(child));
  }
  std::sort(children.begin(), children.end());
  children.erase(std::unique(children.begin(), children.end()), children.end());
  return children;
}

std::vector<std::string> read_cmdline(pid_t pid, const std::filesystem::path& proc_root) {
  std::string raw = fs::read_file(proc_root / std::to_string(pid) / "cmdline");
  std::vector<std::string> args;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    args.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

}  // namespace ckpt::proc
