#include "common/proc/task_ids.h"

#include <dirent.h>

#include <string>

#include "common/error.h"

namespace ckpt::proc {

std::set<pid_t> task_ids(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(path.c_str());
  if (!dir) throw_errno("opendir {}", path);
  std::set<pid_t> tids;
  while (dirent* entry = ::readdir(dir))
    if (entry->d_name[0] != '.') tids.insert(std::stoi(entry->d_name));
  ::closedir(dir);
  return tids;
}

}  // namespace ckpt::proc
