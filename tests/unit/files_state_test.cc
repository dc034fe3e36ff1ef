#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <map>

#include "ckpt/files_collect.h"
#include "common/error.h"

using ckpt::dump::build_files_state;
using ckpt::dump::FdFacts;
using ckpt::dump::ProcessFdFacts;
using ckpt::records::FileKind;

namespace {

FdFacts fd_of(pid_t pid, int fd, std::string link, mode_t mode, ino_t ino, uint32_t flags,
              int64_t pos = 0, nlink_t nlink = 1) {
  FdFacts f;
  f.pid = pid;
  f.fd = fd;
  f.link = std::move(link);
  f.st.st_mode = mode;
  f.st.st_ino = ino;
  f.st.st_dev = 8;
  f.st.st_nlink = nlink;
  f.info.flags = flags;
  f.info.pos = pos;
  return f;
}

// A kcmp stand-in: fds are the same description when they carry the same tag, ordered by tag.
struct FakeKcmp {
  std::map<std::pair<pid_t, int>, int> tag;
  int operator()(pid_t a, int fa, pid_t b, int fb) const {
    return tag.at({a, fa}) - tag.at({b, fb});
  }
};

// Parent 100 (ns pid 1) and child 101 (ns pid 2) after a fork, both sharing what 100 opened.
std::vector<ProcessFdFacts> forked_pair(FakeKcmp& kcmp) {
  ProcessFdFacts parent{100, 1, "/", {}};
  parent.fds = {fd_of(100, 0, "pipe:[900]", S_IFIFO | 0600, 900, O_RDONLY),
                fd_of(100, 1, "pipe:[900]", S_IFIFO | 0600, 900, O_WRONLY | O_CLOEXEC),
                fd_of(100, 3, "/data/log", S_IFREG | 0644, 50, O_RDWR, 10),
                fd_of(100, 4, "/data/log", S_IFREG | 0644, 50, O_RDWR | O_CLOEXEC, 10),
                fd_of(100, 5, "/tmp/x (deleted)", S_IFREG | 0600, 60, O_RDWR, 0, 0)};
  ProcessFdFacts child{101, 2, "/", {}};
  child.fds = {fd_of(101, 3, "/data/log", S_IFREG | 0644, 50, O_RDWR, 10),
               fd_of(101, 6, "/data/log", S_IFREG | 0644, 50, O_RDWR, 10),
               fd_of(101, 7, "/tmp/x (deleted)", S_IFREG | 0600, 60, O_RDONLY, 0, 0)};
  kcmp.tag = {{{100, 0}, 1}, {{100, 1}, 2}, {{100, 3}, 3}, {{100, 4}, 3},
              {{100, 5}, 4}, {{101, 3}, 3}, {{101, 6}, 5}, {{101, 7}, 6}};
  return {parent, child};
}

}  // namespace

TEST_CASE("dup'ed and inherited fds share one description; same-looking opens do not") {
  FakeKcmp kcmp;
  auto processes = forked_pair(kcmp);
  auto collected = build_files_state(processes, {}, kcmp);
  const auto& state = collected.state;
  REQUIRE(state.processes.size() == 2);
  const auto& parent = state.processes[0].fds;
  const auto& child = state.processes[1].fds;
  CHECK(parent[2].description == parent[3].description);  // dup
  CHECK(child[0].description == parent[2].description);   // inherited
  CHECK(child[1].description != parent[2].description);   // opened again, same offset
  CHECK(state.descriptions.size() == 6);
  CHECK(state.processes[1].ns_pid == 2);
}

TEST_CASE("close-on-exec is kept per fd, not per description") {
  FakeKcmp kcmp;
  auto processes = forked_pair(kcmp);
  auto state = build_files_state(processes, {}, kcmp).state;
  const auto& parent = state.processes[0].fds;
  CHECK_FALSE(parent[2].cloexec);
  CHECK(parent[3].cloexec);
  CHECK(parent[1].cloexec);
}

TEST_CASE("both ends of a pipe make one pipe object; a deleted inode's data is stored once") {
  FakeKcmp kcmp;
  auto processes = forked_pair(kcmp);
  auto collected = build_files_state(processes, {}, kcmp);
  const auto& state = collected.state;
  REQUIRE(state.pipes.size() == 1);
  CHECK(state.pipes[0].id == 900);
  CHECK(collected.pipes.size() == 1);
  REQUIRE(collected.deleted_files.size() == 1);
  uint64_t data_id = collected.deleted_files[0].first;
  int deleted_descriptions = 0;
  for (const auto& d : state.descriptions) {
    if (!d.deleted) continue;
    ++deleted_descriptions;
    CHECK(d.data_id == data_id);
    CHECK(d.path == "/tmp/x");
  }
  CHECK(deleted_descriptions == 2);
}

TEST_CASE("an unsupported fd in any process fails the whole collection") {
  FakeKcmp kcmp;
  auto processes = forked_pair(kcmp);
  processes[1].fds.push_back(fd_of(101, 9, "socket:[77]", S_IFSOCK | 0777, 77, O_RDWR));
  kcmp.tag[{101, 9}] = 9;
  CHECK_THROWS_WITH(build_files_state(processes, {}, kcmp),
                    "pid 101 fd 9: unsupported file type socket:[77]");
}

TEST_CASE("many same-looking fds are told apart by the description order alone") {
  FakeKcmp kcmp;
  ProcessFdFacts process{200, 1, "/", {}};
  std::map<int, int> fd_of_first_tag;
  for (int fd = 0; fd < 300; ++fd) {
    int tag = (fd * 7919) % 97;  // 97 descriptions, each behind 3 or 4 fds, in scattered order
    process.fds.push_back(fd_of(200, fd, "/dev/null", S_IFCHR | 0666, 6, O_RDWR));
    process.fds.back().st.st_rdev = makedev(1, 3);
    kcmp.tag[{200, fd}] = tag;
    fd_of_first_tag.try_emplace(tag, fd);
  }
  auto state = build_files_state({process}, {}, kcmp).state;
  CHECK(state.descriptions.size() == 97);
  const auto& fds = state.processes[0].fds;
  for (const auto& entry : fds) {
    int first = fd_of_first_tag.at(kcmp.tag.at({200, entry.fd}));
    CHECK(entry.description == fds[first].description);
  }
}
