#include "common/cgroup/cgroup_file.h"

#include "common/error.h"
#include "common/fs.h"

namespace ckpt::cgroup {

bool CgroupFile::exists() const {
  return std::filesystem::exists(path_);
}

std::optional<std::string> CgroupFile::read() const {
  auto text = fs::try_read_file(path_);
  if (!text) return std::nullopt;
  return fs::trim(*text);
}

std::optional<int64_t> CgroupFile::read_int(int64_t unlimited_from) const {
  auto text = read();
  if (!text || *text == "max" || text->empty()) return std::nullopt;
  try {
    int64_t v = std::stoll(*text);
    if (v >= unlimited_from) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    fail("{}: not a number: '{}'", path_.string(), *text);
  }
}

void CgroupFile::write(const std::string& value) const {
  fs::write_file(path_, value);
}

}  // namespace ckpt::cgroup
