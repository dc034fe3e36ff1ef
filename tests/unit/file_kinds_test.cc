// The table of file kinds (common/records/file_kinds.def): both engines cover every kind, the
// values on disk never move; and the kinds of pidfds and namespace files, each side.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "ckpt/fd_kinds.h"
#include "common/error.h"
#include "common/records/file_kinds.h"
#include "common/unique_fd.h"
#include "restore/fd_kinds.h"
#include "restore/ns_files.h"
#include "restore/pidfds.h"

using ckpt::dump::describe_fd;
using ckpt::dump::FdFacts;
using ckpt::dump::FdScope;
using ckpt::records::FileDescription;
using ckpt::records::FileKind;
using ckpt::records::kFileKinds;

namespace {

FdFacts fd_facts(std::string link, long fs_magic = 0) {
  FdFacts f;
  f.pid = 4242;
  f.fd = 9;
  f.link = std::move(link);
  f.st.st_mode = 0600;
  f.st.st_nlink = 1;
  f.fs_magic = fs_magic;
  f.info.flags = O_RDWR;
  return f;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

}  // namespace

TEST_CASE("every file kind has a describer and an opener", "[file-kinds]") {
  for (const auto& info : kFileKinds) {
    INFO(info.name);
    CHECK(ckpt::dump::has_describer(info.kind));
    CHECK(ckpt::restore::has_opener(info.kind));
  }
}

TEST_CASE("file kinds keep their values on disk and have one name each", "[file-kinds]") {
  std::set<uint32_t> values;
  std::set<std::string_view> names;
  for (const auto& info : kFileKinds) {
    CHECK(values.insert(static_cast<uint32_t>(info.kind)).second);
    CHECK(names.insert(info.name).second);
  }
  // Images written before the table: never renumbered.
  CHECK(static_cast<uint32_t>(FileKind::kRegular) == 1);
  CHECK(static_cast<uint32_t>(FileKind::kTcpListen) == 9);
  CHECK(static_cast<uint32_t>(FileKind::kEpoll) == 13);
  CHECK(static_cast<uint32_t>(FileKind::kMemfd) == 18);
  CHECK(static_cast<uint32_t>(FileKind::kProcFile) == 21);
  CHECK(static_cast<uint32_t>(FileKind::kTcpSocket) == 22);
  CHECK(static_cast<uint32_t>(FileKind::kPidfd) == 23);
  CHECK(static_cast<uint32_t>(FileKind::kNamespace) == 24);
  CHECK(ckpt::records::file_kind_name(FileKind::kPidfd) == "pidfd");
  CHECK(ckpt::records::file_kind_name(static_cast<FileKind>(999)) == "kind 999");
}

TEST_CASE("a pidfd on a process of the container is kept by its pid there", "[file-kinds]") {
  FdScope scope;
  scope.ns_pids = {{5000, 7}};
  auto f = fd_facts("anon_inode:[pidfd]");
  f.info.flags = O_RDWR | O_NONBLOCK;
  f.info.pid = 5000;
  auto d = describe_fd(f, "/", scope);
  CHECK(d.kind == FileKind::kPidfd);
  CHECK(d.target_pid == 7);
  CHECK(d.flags == (O_RDWR | O_NONBLOCK));
}

TEST_CASE("a pidfd outside the container or of a reaped process is refused", "[file-kinds]") {
  FdScope scope;
  scope.ns_pids = {{5000, 7}};
  auto f = fd_facts("anon_inode:[pidfd]");
  f.info.pid = 6000;
  CHECK_THROWS_WITH(describe_fd(f, "/", scope),
                    "pid 4242 fd 9: pidfd of pid 6000, which is not a process or thread of "
                    "the container");
  f.info.pid = -1;
  CHECK_THROWS_WITH(describe_fd(f, "/", scope), Catch::Contains("pid 4242 fd 9: pidfd of a process "
                                                                "that has exited"));
}

TEST_CASE("a namespace file of the container is kept by type, others refused", "[file-kinds]") {
  FdScope scope;
  scope.namespaces.own = {{"net", 4026532000}};
  auto f = fd_facts("net:[4026532000]", NSFS_MAGIC);
  f.st.st_ino = 4026532000;
  auto d = describe_fd(f, "/", scope);
  CHECK(d.kind == FileKind::kNamespace);
  CHECK(d.path == "net");
  auto host = fd_facts("net:[" + std::to_string(inode_of("/proc/self/ns/net")) + "]", NSFS_MAGIC);
  host.st.st_ino = inode_of("/proc/self/ns/net");
  CHECK_THROWS_WITH(describe_fd(host, "/", scope),
                    Catch::Contains("pid 4242 fd 9: namespace file net:[") &&
                        Catch::Contains("is the host's"));
  auto other = fd_facts("uts:[4026532999]", NSFS_MAGIC);
  other.st.st_ino = 4026532999;
  CHECK_THROWS_WITH(describe_fd(other, "/", scope), Catch::Contains("not one of the container's"));
}

TEST_CASE("a namespace file is opened again on our namespace of its type", "[file-kinds]") {
  FileDescription d;
  d.id = 3;
  d.kind = FileKind::kNamespace;
  d.flags = O_RDONLY;
  d.path = "net";
  ckpt::UniqueFd fd = ckpt::restore::open_namespace_file(d);
  struct stat st {};
  REQUIRE(::fstat(fd.get(), &st) == 0);
  CHECK(st.st_ino == inode_of("/proc/self/ns/net"));
  d.path = "user";  // the restore makes no user namespace: it would be the host's
  CHECK_THROWS_WITH(ckpt::restore::open_namespace_file(d), Catch::Contains("no 'user' namespace"));
  d.path = "../../etc";
  CHECK_THROWS(ckpt::restore::open_namespace_file(d));
}

TEST_CASE("pidfds are opened on their process, shared by their holders, with their flags",
          "[file-kinds]") {
  if (::geteuid() != 0) return;  // pidfd_getfd of another process needs ptrace rights
  ckpt::records::FilesState state;
  FileDescription d;
  d.id = 5;
  d.kind = FileKind::kPidfd;
  d.flags = O_RDWR | O_NONBLOCK;
  d.target_pid = ::getpid();  // our pid namespace stands in for the container's
  state.descriptions.push_back(d);
  pid_t me = ::getpid();
  // We hold it first (fds 600 and 601), a child of ours too (fd 602).
  state.processes.push_back({0, me, {{600, 5, false}, {601, 5, true}}});
  state.processes.push_back({0, 0, {{602, 5, false}}});
  ckpt::restore::RestoredPidfds pidfds(state);
  pidfds.open_own(state.processes[0]);
  ckpt::UniqueFd first(600), second(601);
  CHECK((::fcntl(600, F_GETFL) & O_NONBLOCK) != 0);
  CHECK(::fcntl(600, F_GETFD) == 0);
  CHECK(::fcntl(601, F_GETFD) == FD_CLOEXEC);
  char link[64] = {};
  REQUIRE(::readlink("/proc/self/fd/601", link, sizeof link - 1) > 0);
  CHECK(std::string(link) == "anon_inode:[pidfd]");
  ::fcntl(601, F_SETFL, 0);  // one description for both fds
  CHECK((::fcntl(600, F_GETFL) & O_NONBLOCK) == 0);
  ::fcntl(600, F_SETFL, O_NONBLOCK);

  pid_t child = ::fork();
  if (child == 0) {
    // The child takes it from us, and clears O_NONBLOCK of the shared description.
    ckpt::records::ProcessFiles mine = state.processes[1];
    mine.ns_pid = ::getpid();
    try {
      pidfds.take_shared(mine);
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(::fcntl(602, F_SETFL, 0) == 0 && ::fcntl(602, F_GETFD) == 0 ? 0 : 3);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WEXITSTATUS(status) == 0);
  CHECK((::fcntl(600, F_GETFL) & O_NONBLOCK) == 0);
}
