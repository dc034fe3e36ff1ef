#include "common/cgroup/hierarchy.h"

#include <algorithm>
#include <sstream>

#include "common/fs.h"

namespace ckpt::cgroup {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string item;
  while (std::getline(in, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

// One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER".
std::optional<Hierarchy> parse_mount_line(const std::string& line,
                                          const std::filesystem::path& root) {
  auto fields = split(line, ' ');
  auto dash = std::find(fields.begin(), fields.end(), "-");
  if (fields.size() < 5 || fields.end() - dash < 4) return {};  // fstype, source, options
  const std::string& fstype = *(dash + 1);
  Hierarchy h;
  h.mount = fields[4];
  if (fstype == "cgroup2") {
    h.v2 = true;
    auto text = fs::try_read_file(root.string() + h.mount.string() + "/cgroup.controllers");
    if (text) h.controllers = split(fs::trim(*text), ' ');
    return h;
  }
  if (fstype != "cgroup") return {};
  for (const auto& opt : split(*(dash + 3), ','))
    if (std::find(kV1Controllers.begin(), kV1Controllers.end(), opt) != kV1Controllers.end())
      h.controllers.push_back(opt);
  if (h.controllers.empty()) return {};
  return h;
}

}  // namespace

bool Hierarchy::has(const std::string& controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

std::string Hierarchy::name() const {
  if (v2) return "unified";
  std::string n;
  for (const auto& c : controllers) n += (n.empty() ? "" : ",") + c;
  return n;
}

const Hierarchy* Hierarchies::find(const std::string& controller) const {
  for (const auto& h : v1)
    if (h.has(controller)) return &h;
  if (v2 && v2->has(controller)) return &*v2;
  return nullptr;
}

std::vector<const Hierarchy*> Hierarchies::all() const {
  std::vector<const Hierarchy*> out;
  for (const auto& h : v1) out.push_back(&h);
  if (v2) out.push_back(&*v2);
  return out;
}

Hierarchies parse_hierarchies(const std::string& mountinfo, const std::filesystem::path& root) {
  Hierarchies result;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    auto h = parse_mount_line(line, root);
    if (!h) continue;
    if (h->v2) {
      if (!result.v2) result.v2 = std::move(*h);
    } else {
      result.v1.push_back(std::move(*h));
    }
  }
  return result;
}

const Hierarchies& host_hierarchies() {
  static const Hierarchies hierarchies = parse_hierarchies(fs::read_file("/proc/self/mountinfo"));
  return hierarchies;
}

}  // namespace ckpt::cgroup
