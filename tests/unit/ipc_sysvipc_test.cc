#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/fs.h"
#include "common/proc/sysvipc.h"

using namespace ckpt;

namespace {
const std::string kDir = std::string(CKPT_FIXTURES) + "/sysvipc";
std::string fixture(const std::string& name) {
  return fs::read_file(kDir + "/" + name);
}
}  // namespace

TEST_CASE("sysvipc shm: keys, ids, owners, octal perms with SHM_DEST/SHM_LOCKED, rss") {
  auto shm = proc::parse_sysvipc_shm(fixture("shm"), "shm");
  REQUIRE(shm.size() == 3);
  CHECK(shm[0].owner.key == 0x1234);
  CHECK(shm[0].owner.id == 0);
  CHECK(shm[0].owner.perms == 0640);
  CHECK(shm[0].owner.uid == 1000);
  CHECK(shm[0].owner.gid == 100);
  CHECK(shm[0].size == 8192);
  CHECK(shm[1].owner.key == 0);  // IPC_RMID'ed: the key is gone
  CHECK(shm[1].owner.perms == 03600);
  CHECK(shm[1].nattch == 1);
  CHECK(shm[1].rss == 8192);
  CHECK(shm[1].size == 100000);
  CHECK(shm[2].owner.id == 2);
  CHECK(shm[2].swap == 0);
}

TEST_CASE("sysvipc msg: negative keys, cbytes and qnum") {
  auto msg = proc::parse_sysvipc_msg(fixture("msg"), "msg");
  REQUIRE(msg.size() == 2);
  CHECK(msg[0].owner.key == 1779663654);
  CHECK(msg[1].owner.key == -746867001);
  CHECK(msg[1].owner.id == 1);
  CHECK(msg[1].owner.perms == 0660);
  CHECK(msg[1].qnum == 0);
}

TEST_CASE("sysvipc sem: nsems") {
  auto sem = proc::parse_sysvipc_sem(fixture("sem"), "sem");
  REQUIRE(sem.size() == 1);
  CHECK(sem[0].owner.key == -1915603459);
  CHECK(sem[0].owner.perms == 0644);
  CHECK(sem[0].nsems == 3);
}

TEST_CASE("sysvipc columns are found by name, not position") {
  auto sem = proc::parse_sysvipc_sem(
      "semid key nsems perms uid gid cuid cgid extra\n"
      "7 42 5 600 1 2 3 4 x\n",
      "sem");
  REQUIRE(sem.size() == 1);
  CHECK(sem[0].owner.id == 7);
  CHECK(sem[0].owner.key == 42);
  CHECK(sem[0].nsems == 5);
  CHECK(sem[0].owner.perms == 0600);
  CHECK(sem[0].owner.cgid == 4);
}

TEST_CASE("an empty namespace has only the header") {
  CHECK(proc::parse_sysvipc_msg(fixture("msg").substr(0, fixture("msg").find('\n') + 1), "msg")
            .empty());
}

TEST_CASE("sysvipc errors name the file and line") {
  CHECK_THROWS_WITH(proc::parse_sysvipc_shm(fixture("shm.truncated"), "/proc/sysvipc/shm"),
                    Catch::Contains("/proc/sysvipc/shm line 2"));
  CHECK_THROWS_WITH(proc::parse_sysvipc_shm("key shmid perms size nattch uid gid cuid cgid\n"
                                            "1 2 999 4 0 0 0 0 0\n",
                                            "shm"),
                    Catch::Contains("perms"));
  CHECK_THROWS_WITH(proc::parse_sysvipc_sem("", "/proc/sysvipc/sem"), Catch::Contains("no header"));
  CHECK_THROWS_WITH(
      proc::parse_sysvipc_sem("key semid perms uid gid cuid cgid\n1 2 600 0 0 0 0\n", "sem"),
      Catch::Contains("nsems"));
}
