#include <sys/mount.h>

#include <catch2/catch.hpp>
#include <map>

#include "ckpt/mounts.h"
#include "common/error.h"
#include "restore/mounts.h"

using namespace ckpt;
using records::MountKind;

namespace {

const char* kHost =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334492k,mode=755\n"
    "25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k\n"
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
    "42 27 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw,discard\n";

// A container with a rootfs at /tmp/root, a --tmpfs /data, a --bind /srv/my\040data:/in:ro,
// a bind of a directory of its own tmpfs, and an mqueue.
const char* kRootfsContainer =
    "300 299 254:0 /tmp/root / rw,relatime - ext4 /dev/vda rw,discard\n"
    "301 300 0:90 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
    "303 300 0:92 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n"
    "304 303 0:6 /null /dev/null rw,relatime - devtmpfs devtmpfs rw,size=12334492k,mode=755\n"
    "310 303 0:93 / /dev/shm rw,nosuid,nodev,relatime - tmpfs shm rw,mode=1777\n"
    "311 300 0:94 / /data rw,nosuid,nodev,relatime - tmpfs tmpfs rw,size=65536k\n"
    "312 300 254:0 /srv/my\\040data /in ro,relatime - ext4 /dev/vda rw,discard\n"
    "313 300 0:94 /sub /mnt/sub rw,relatime - tmpfs tmpfs rw,size=65536k\n"
    "314 300 0:95 / /dev/mqueue rw,relatime - mqueue mqueue rw\n";

records::MountNamespace classify(const char* container, bool has_rootfs) {
  return dump::classify_mounts(proc::parse_mountinfo(container, "container"),
                               proc::parse_mountinfo(kHost, "host"), has_rootfs);
}

}  // namespace

TEST_CASE("mountinfo lines are parsed with their escapes undone") {
  auto m = proc::parse_mountinfo(kRootfsContainer, "x");
  REQUIRE(m.size() == 9);
  CHECK(m[6].root == "/srv/my data");
  CHECK(m[6].mount_point == "/in");
  CHECK(m[6].mount_options == "ro,relatime");
  CHECK(m[3].major == 0);
  CHECK(m[3].minor == 6);
  CHECK(m[1].fstype == "proc");
  CHECK_THROWS_AS(proc::parse_mountinfo("1 2 0:1 / /x rw\n", "bad"), Error);
}

TEST_CASE("the mounts of a rootfs container are classified by how restore makes them") {
  auto ns = classify(kRootfsContainer, true);
  REQUIRE(ns.mounts.size() == 9);
  CHECK(ns.mounts[0].kind == MountKind::kRootfs);
  CHECK(ns.mounts[1].kind == MountKind::kPseudo);
  CHECK(ns.mounts[1].flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME));
  CHECK(ns.mounts[2].kind == MountKind::kTmpfs);
  CHECK(ns.mounts[2].options == "size=65536k,mode=755");
  CHECK(ns.mounts[3].kind == MountKind::kHostBind);
  CHECK(ns.mounts[3].host_path == "/dev/null");
  CHECK(ns.mounts[4].kind == MountKind::kTmpfs);
  CHECK(ns.mounts[5].kind == MountKind::kTmpfs);
  CHECK(ns.mounts[5].has_contents);
  CHECK(ns.mounts[6].kind == MountKind::kHostBind);
  CHECK(ns.mounts[6].host_path == "/srv/my data");
  CHECK((ns.mounts[6].flags & MS_RDONLY) != 0);
  CHECK(ns.mounts[7].kind == MountKind::kContainerBind);
  CHECK(ns.mounts[7].host_path == "/data/sub");
  CHECK(ns.mounts[8].kind == MountKind::kPseudo);
}

TEST_CASE("without a rootfs the host's own mounts are kept, the container's own recorded") {
  const char* container =
      "400 399 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
      "401 400 0:96 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
      "402 400 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334492k,mode=755\n"
      "403 402 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k\n"
      "404 400 254:0 /run/netns /run/netns rw,relatime - ext4 /dev/vda rw,discard\n"
      "405 400 0:97 / /tmp/work/data rw,relatime - tmpfs tmpfs rw,size=1024k\n";
  auto ns = classify(container, false);
  REQUIRE(ns.mounts.size() == 6);
  CHECK(ns.mounts[0].kind == MountKind::kHost);
  CHECK(ns.mounts[1].kind == MountKind::kPseudo);
  CHECK(ns.mounts[2].kind == MountKind::kHost);
  CHECK(ns.mounts[3].kind == MountKind::kHost);
  CHECK(!ns.mounts[3].has_contents);  // the host's /dev/shm is not the container's to store
  CHECK(ns.mounts[4].kind == MountKind::kHost);
  CHECK(ns.mounts[5].kind == MountKind::kTmpfs);
  CHECK(ns.mounts[5].has_contents);
}

TEST_CASE("a filesystem restore cannot make again fails the dump, naming the mount") {
  const char* container =
      "300 299 254:0 /tmp/root / rw,relatime - ext4 /dev/vda rw\n"
      "301 300 7:0 / /mnt/disk rw,relatime - ext4 /dev/loop0 rw\n";
  CHECK_THROWS_WITH(classify(container, true), Catch::Contains("/mnt/disk (ext4 from /dev/loop0)"));
}

TEST_CASE("--mount-map moves a host path and everything below it, longest match first") {
  restore::MountMap map({"/srv=/backup/srv", "/srv/a=/elsewhere"});
  CHECK(map.map("/srv/b/c") == "/backup/srv/b/c");
  CHECK(map.map("/srv/a") == "/elsewhere");
  CHECK(map.map("/srv/a/x") == "/elsewhere/x");
  CHECK(map.map("/srvx") == "/srvx");
  CHECK_THROWS_AS(restore::MountMap({"relative=/x"}), Error);
}

TEST_CASE("mounts are recorded parents first even when mountinfo lists a child earlier") {
  // The bind (id 290, made before the rootfs mount 300) sits on the rootfs.
  const char* container =
      "290 300 254:0 /srv/in /in rw,relatime - ext4 /dev/vda rw\n"
      "300 299 254:0 /tmp/root / rw,relatime - ext4 /dev/vda rw\n"
      "305 311 0:95 / /data/deep rw,relatime - tmpfs tmpfs rw\n"
      "311 300 0:94 / /data rw,relatime - tmpfs tmpfs rw\n";
  auto ns = classify(container, true);
  REQUIRE(ns.mounts.size() == 4);
  std::map<uint64_t, size_t> position;
  for (size_t i = 0; i < ns.mounts.size(); ++i) position[ns.mounts[i].id] = i;
  CHECK(ns.mounts[0].mount_point == "/");
  CHECK(position.at(290) > position.at(300));
  CHECK(position.at(305) > position.at(311));
  CHECK(ns.mounts[position.at(290)].kind == MountKind::kHostBind);
}
