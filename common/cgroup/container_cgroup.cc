#include "common/cgroup/container_cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include "common/cgroup/cgroup_file.h"
#include "common/cgroup/limits.h"
#include "common/error.h"
#include "common/fs.h"

namespace ckpt::cgroup {

std::string container_cgroup_path(const std::string& id) { return "ckpt/" + id; }

namespace fsys = std::filesystem;

namespace {

// A fresh v1 cpuset cgroup has empty cpus/mems and refuses tasks: copy the parent's.
void inherit_cpuset(const fsys::path& dir) {
  for (const char* name : {"cpuset.cpus", "cpuset.mems"}) {
    CgroupFile file(dir / name);
    auto value = file.read();
    if (!value || !value->empty()) continue;
    auto parent = CgroupFile(dir.parent_path() / name).read();
    if (parent && !parent->empty()) file.write(*parent);
  }
}

void make_dir(const fsys::path& dir, const Hierarchy& h) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir({})", dir.string());
  if (!h.v2 && h.has("cpuset")) inherit_cpuset(dir);
}

// mkdir -p of `rel` below `base`. A parent that another ckpt removed meanwhile (its last
// container went) is made again.
void make_dirs(const fsys::path& base, const std::string& rel, const Hierarchy& h) {
  for (int attempt = 0;; ++attempt) {
    try {
      fsys::path dir = base;
      for (const auto& part : fsys::path(rel)) {
        dir /= part;
        make_dir(dir, h);
      }
      return;
    } catch (const Error& e) {
      if (e.err() != ENOENT || attempt == 3) throw;
    }
  }
}

std::vector<pid_t> read_pids(const fsys::path& file) {
  std::vector<pid_t> pids;
  auto text = fs::try_read_file(file);
  if (!text) return pids;
  std::istringstream in(*text);
  long pid;
  while (in >> pid) pids.push_back(static_cast<pid_t>(pid));
  return pids;
}

void collect_subdirs(const fsys::path& base, const fsys::path& dir, std::set<std::string>& out) {
  std::error_code ec;
  for (const auto& entry : fsys::directory_iterator(dir, ec)) {
    if (!entry.is_directory(ec)) continue;
    out.insert(fsys::relative(entry.path(), base).string());
    collect_subdirs(base, entry.path(), out);
  }
}

// rmdir, retrying briefly: a cgroup stays busy for a moment after its last task exited.
void remove_dir(const fsys::path& dir) {
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY || attempt == 100) throw_errno("rmdir({})", dir.string());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

ContainerCgroup::ContainerCgroup(const Hierarchies& hierarchies, std::string rel_path)
    : hierarchies_(hierarchies), path_(std::move(rel_path)) {
  if (hierarchies_.all().empty()) fail("no cgroup hierarchy is mounted on this host");
}

const Hierarchy& ContainerCgroup::primary() const {
  return *hierarchies_.all().front();
}

fsys::path ContainerCgroup::dir(const Hierarchy& hierarchy, const std::string& sub) const {
  return sub.empty() ? hierarchy.mount / path_ : hierarchy.mount / path_ / sub;
}

bool ContainerCgroup::exists() const {
  return fsys::exists(dir(primary()));
}

void ContainerCgroup::create(bool must_be_new) {
  if (must_be_new && exists()) fail("cgroup {} already exists", dir(primary()).string());
  for (const Hierarchy* h : hierarchies_.all()) make_dirs(h->mount, path_, *h);
}

void ContainerCgroup::create_child(const std::string& sub) {
  for (const Hierarchy* h : hierarchies_.all()) make_dirs(dir(*h), sub, *h);
}

void ContainerCgroup::apply_limits(const std::string& sub, const records::CgroupLimits& limits) {
  write_limits(hierarchies_, sub.empty() ? path_ : path_ + "/" + sub, limits);
}

records::CgroupLimits ContainerCgroup::read_limits(const std::string& sub) const {
  return cgroup::read_limits(hierarchies_, sub.empty() ? path_ : path_ + "/" + sub);
}

void ContainerCgroup::attach(pid_t pid, const std::string& sub) const {
  for (const Hierarchy* h : hierarchies_.all())
    CgroupFile(dir(*h, sub) / "cgroup.procs").write(std::to_string(pid));
}

std::vector<pid_t> ContainerCgroup::procs_in(const Hierarchy& h, const std::string& sub) const {
  return read_pids(dir(h, sub) / "cgroup.procs");
}

std::vector<pid_t> ContainerCgroup::procs(const std::string& sub) const {
  return procs_in(primary(), sub);
}

std::vector<pid_t> ContainerCgroup::all_procs() const {
  std::set<pid_t> pids;
  for (const auto& sub : subtree())
    for (const Hierarchy* h : hierarchies_.all())
      for (pid_t pid : procs_in(*h, sub)) pids.insert(pid);
  return {pids.begin(), pids.end()};
}

std::vector<std::string> ContainerCgroup::subtree() const {
  std::set<std::string> subs;
  for (const Hierarchy* h : hierarchies_.all()) collect_subdirs(dir(*h), dir(*h), subs);
  std::vector<std::string> out{""};
  out.insert(out.end(), subs.begin(), subs.end());  // std::set order puts "a" before "a/b"
  return out;
}

void ContainerCgroup::remove() const {
  auto subs = subtree();
  for (auto it = subs.rbegin(); it != subs.rend(); ++it)
    for (const Hierarchy* h : hierarchies_.all()) remove_dir(dir(*h, *it));
  // Parents ckpt made ("ckpt/") go when the last container in them does; a busy one stays.
  for (const Hierarchy* h : hierarchies_.all())
    for (fsys::path p = fsys::path(path_).parent_path(); !p.empty(); p = p.parent_path())
      if (::rmdir((h->mount / p).c_str()) != 0) break;
}

}  // namespace ckpt::cgroup
