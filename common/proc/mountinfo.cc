#include "common/proc/mountinfo.h"

#include <algorithm>
#include <sstream>

#include "common/error.h"
#include "common/fs.h"

namespace ckpt::proc {

namespace {

bool is_octal_escape(const std::string& s, size_t i) {
  if (s[i] != '\\' || i + 3 >= s.size()) return false;
  for (size_t k = i + 1; k <= i + 3; ++k)
    if (s[k] < '0' || s[k] > '7') return false;
  return true;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (is_octal_escape(s, i)) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER"
MountInfo parse_line(const std::string& line, const std::string& what) {
  std::istringstream in(line);
  std::vector<std::string> f;
  std::string word;
  while (in >> word) f.push_back(word);
  auto dash = std::find(f.begin(), f.end(), "-");
  if (f.size() < 6 || dash - f.begin() < 6 || f.end() - dash < 4)
    fail("{}: malformed line '{}'", what, line);
  MountInfo m;
  m.id = std::stoi(f[0]);
  m.parent = std::stoi(f[1]);
  if (std::sscanf(f[2].c_str(), "%u:%u", &m.major, &m.minor) != 2)
    fail("{}: bad device in '{}'", what, line);
  m.root = unescape(f[3]);
  m.mount_point = unescape(f[4]);
  m.mount_options = f[5];
  for (auto field = f.begin() + 6; field != dash; ++field)
    m.propagation += (m.propagation.empty() ? "" : " ") + *field;
  m.fstype = *(dash + 1);
  m.source = unescape(*(dash + 2));
  m.super_options = *(dash + 3);
  return m;
}

}  // namespace

std::vector<MountInfo> parse_mountinfo(const std::string& text, const std::string& what) {
  std::vector<MountInfo> mounts;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) mounts.push_back(parse_line(line, what));
  return mounts;
}

std::vector<MountInfo> read_mountinfo(pid_t pid) {
  std::string path = pid ? "/proc/" + std::to_string(pid) + "/mountinfo" : "/proc/self/mountinfo";
  return parse_mountinfo(fs::read_file(path), path);
}

bool is_below(const std::string& path, const std::string& dir) {
  if (dir == "/") return !path.empty() && path[0] == '/';
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

std::string relative_to(const std::string& path, const std::string& dir) {
  if (dir == "/") return path;
  std::string rest = path.substr(dir.size());
  return rest.empty() ? "/" : rest;
}

std::string path_in_root(const std::string& path, const std::string& root) {
  return is_below(path, root) ? relative_to(path, root) : path;
}

}  // namespace ckpt::proc
