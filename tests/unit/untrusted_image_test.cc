// Images are untrusted input: forged records (valid checksums, hostile contents) must be refused
// by name, and nothing may be written outside the directory a packed tree is unpacked into.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "common/error.h"
#include "common/tree_entry.h"
#include "common/tree_pack.h"
#include "common/untrusted_path.h"
#include "image_test_support.h"
#include "netns/sysctl.h"
#include "restore/cgroups.h"

using namespace ckpt;
using image::testing::TempDir;
using tree::TreeEntry;
namespace fsys = std::filesystem;

namespace {

TreeEntry entry(const std::string& path, uint32_t mode) {
  TreeEntry e;
  e.path = path;
  e.mode = mode;
  return e;
}

TreeEntry file(const std::string& path, const std::string& data) {
  TreeEntry e = entry(path, S_IFREG | 0644);
  e.size = data.size();
  if (!data.empty()) e.extents = {0, data.size()};
  return e;
}

TreeEntry symlink_entry(const std::string& path, const std::string& target) {
  TreeEntry e = entry(path, S_IFLNK | 0777);
  e.link_target = target;
  return e;
}

// Writes a packed tree stream by hand (as a forger would) and unpacks it into `out`.
struct ForgedTree {
  std::string stream;

  ForgedTree& add(const TreeEntry& e, const std::string& data = "") {
    std::string header = image::to_bytes(e);
    uint32_t size = static_cast<uint32_t>(header.size());
    stream.append(reinterpret_cast<const char*>(&size), sizeof size);
    stream += header + data;
    return *this;
  }
  ForgedTree& raw(const std::string& bytes) {
    stream += bytes;
    return *this;
  }
  void unpack(const TempDir& tmp, const fsys::path& out) {
    std::string end(4, '\0');
    {
      image::ImageWriter writer(tmp.file("forged.ckpt"), image::make_header("t"));
      writer.put_bytes(image::SectionType::kMountData, 1, stream + end);
      writer.finish();
    }
    image::ImageReader reader(tmp.file("forged.ckpt"));
    tree::unpack_tree(reader, image::SectionType::kMountData, 1, out);
  }
};

// The scratch layout: `out` is unpacked into, `outside` next to it must stay as it is.
struct Scene {
  TempDir tmp;
  fsys::path out = tmp.path() / "a" / "b" / "out";
  fsys::path outside = tmp.path() / "outside";
  Scene() {
    fsys::create_directories(out);
    fsys::create_directories(outside);
    std::ofstream(outside / "victim") << "host";
    ::chmod(outside.c_str(), 0755);
  }
  bool outside_untouched() const {
    std::ifstream in(outside / "victim");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    struct stat st {};
    ::stat(outside.c_str(), &st);
    size_t count = 0;
    for ([[maybe_unused]] auto& e : fsys::directory_iterator(outside)) ++count;
    return text == "host" && count == 1 && (st.st_mode & 07777) == 0755 &&
           !fsys::exists(tmp.path() / "escaped") && !fsys::exists(tmp.path() / "a" / "escaped");
  }
};

}  // namespace

TEST_CASE("paths from an image are plain names", "[untrusted]") {
  CHECK(fs::is_plain_name("a"));
  CHECK(fs::is_plain_name(".hidden"));
  CHECK(fs::is_plain_name("..."));
  CHECK_FALSE(fs::is_plain_name(""));
  CHECK_FALSE(fs::is_plain_name("."));
  CHECK_FALSE(fs::is_plain_name(".."));
  CHECK_FALSE(fs::is_plain_name("a/b"));
  CHECK_FALSE(fs::is_plain_name(std::string("a\0b", 3)));
  CHECK_NOTHROW(fs::check_relative_path("a/b/c", "t"));
  for (const char* bad : {"", "/a", "a/../b", "..", "a/", "a//b", "./a", "../../.."})
    CHECK_THROWS_WITH(fs::check_relative_path(bad, "t"), Catch::Contains("is refused"));
  CHECK_NOTHROW(fs::check_absolute_path("/", "t"));
  CHECK_NOTHROW(fs::check_absolute_path("/dev/shm", "t"));
  for (const char* bad : {"", "dev", "/dev/../etc", "//etc", "/dev/", "/.."})
    CHECK_THROWS_WITH(fs::check_absolute_path(bad, "t"), Catch::Contains("is refused"));
}

TEST_CASE("open_beneath follows no symlink and never leaves its directory", "[untrusted]") {
  Scene s;
  ::symlink(s.outside.c_str(), (s.out / "abs").c_str());
  ::symlink("../../../outside", (s.out / "rel").c_str());
  ::mkdir((s.out / "d").c_str(), 0755);
  UniqueFd dir(::open(s.out.c_str(), O_PATH | O_DIRECTORY));
  CHECK_THROWS(fs::open_beneath(dir.get(), "abs/victim", O_RDONLY));
  CHECK_THROWS(fs::open_beneath(dir.get(), "rel/victim", O_RDONLY));
  CHECK_THROWS(fs::open_beneath(dir.get(), "../../../outside/victim", O_RDONLY));
  CHECK(fs::open_beneath(dir.get(), "d", O_RDONLY | O_DIRECTORY));
  auto parent = fs::open_parent_beneath(dir.get(), "d/new");
  CHECK(parent.name == "new");
}

TEST_CASE("a packed tree entry with '..' is refused and nothing is written outside",
          "[untrusted]") {
  Scene s;
  for (std::string path : {"../../../escaped", "../escaped", "/escaped", "x/../../escaped"}) {
    ForgedTree t;
    t.add(entry(".", S_IFDIR | 0755)).add(file(path, "owned"), "owned");
    CHECK_THROWS_WITH(t.unpack(s.tmp, s.out), Catch::Contains("is refused"));
    CHECK(s.outside_untouched());
  }
  ForgedTree dir;
  dir.add(entry("../../..", S_IFDIR | 0777));
  CHECK_THROWS_WITH(dir.unpack(s.tmp, s.out), Catch::Contains("is refused"));
  CHECK(s.outside_untouched());
}

TEST_CASE("a symlink in a packed tree cannot be followed by a later entry", "[untrusted]") {
  Scene s;
  SECTION("a file below a symlink to a directory outside") {
    ForgedTree t;
    t.add(symlink_entry("link", s.outside.string())).add(file("link/victim", "owned"), "owned");
    CHECK_THROWS(t.unpack(s.tmp, s.out));
  }
  SECTION("a relative symlink leading out") {
    ForgedTree t;
    t.add(symlink_entry("up", "../../..")).add(file("up/escaped", "owned"), "owned");
    CHECK_THROWS(t.unpack(s.tmp, s.out));
  }
  SECTION("a directory entry over a symlink: its mode must not reach the target") {
    ForgedTree t;
    t.add(symlink_entry("link", s.outside.string())).add(entry("link", S_IFDIR | 0777));
    CHECK_THROWS(t.unpack(s.tmp, s.out));
  }
  SECTION("a hard link to a file outside") {
    ForgedTree t;
    TreeEntry e = file("hard", "");
    e.hardlink_to = "../../../outside/victim";
    t.add(e);
    CHECK_THROWS_WITH(t.unpack(s.tmp, s.out), Catch::Contains("is refused"));
  }
  SECTION("a hard link through a symlink") {
    ForgedTree t;
    TreeEntry e = file("hard", "");
    e.hardlink_to = "link/victim";
    t.add(symlink_entry("link", s.outside.string())).add(e);
    CHECK_THROWS(t.unpack(s.tmp, s.out));
  }
  SECTION("a file replacing a symlink of the same name is written in place of the link") {
    ForgedTree t;
    t.add(symlink_entry("victim", (s.outside / "victim").string()))
        .add(file("victim", "mine"), "mine");
    t.unpack(s.tmp, s.out);
    CHECK(fsys::is_regular_file(fsys::symlink_status(s.out / "victim")));
  }
  CHECK(s.outside_untouched());
}

TEST_CASE("damaged packed tree entries are refused without hanging", "[untrusted]") {
  Scene s;
  SECTION("an odd extent list") {
    TreeEntry e = file("f", "abc");
    e.extents = {0};
    ForgedTree t;
    t.add(e);
    CHECK_THROWS_WITH(t.unpack(s.tmp, s.out), Catch::Contains("extent"));
  }
  SECTION("an extent past the size") {
    TreeEntry e = file("f", "abc");
    e.extents = {2, UINT64_MAX - 1};
    ForgedTree t;
    t.add(e, "abc");
    CHECK_THROWS_WITH(t.unpack(s.tmp, s.out), Catch::Contains("extent"));
  }
  SECTION("overlapping extents") {
    TreeEntry e = file("f", "abcd");
    e.extents = {0, 3, 1, 3};
    ForgedTree t;
    t.add(e, "abcdef");
    CHECK_THROWS_WITH(t.unpack(s.tmp, s.out), Catch::Contains("extent"));
  }
  SECTION("empty extents between data") {
    TreeEntry e = file("f", "abcd");
    e.extents = {0, 2, 2, 0, 2, 0, 2, 2};
    ForgedTree t;
    t.add(e, "abcd");
    t.unpack(s.tmp, s.out);
    std::ifstream in(s.out / "f");
    CHECK(std::string((std::istreambuf_iterator<char>(in)), {}) == "abcd");
  }
  SECTION("a header size of 4 GiB") {
    ForgedTree t;
    t.raw(std::string("\xff\xff\xff\xff", 4));
    CHECK_THROWS_WITH(t.unpack(s.tmp, s.out), Catch::Contains("header"));
  }
  SECTION("no file type") {
    ForgedTree t;
    t.add(entry("f", 0644));
    CHECK_THROWS_WITH(t.unpack(s.tmp, s.out), Catch::Contains("file type"));
  }
  CHECK(s.outside_untouched());
}

TEST_CASE("net sysctl names from an image are paths of plain names below /proc/sys/net",
          "[untrusted]") {
  for (const char* good : {"ipv4/ip_forward", "ipv4/conf/eth0/rp_filter",
                           "ipv6/conf/all/forwarding", "ipv4/neigh/eth0/retrans_time_ms",
                           "core/somaxconn"})
    CHECK(netns::is_net_sysctl_name(good));
  for (const char* bad : {"/etc/passwd", "../../..", "ipv4/conf/../../../kernel/core_pattern",
                          "ipv4/conf/eth0/..", "ipv4//conf/x/y", "ipv4/", "", "./ipv4/x"})
    CHECK_FALSE(netns::is_net_sysctl_name(bad));
  CHECK_THROWS_WITH(netns::check_net_sysctl_names({{"../../../etc/x", "1"}}),
                    Catch::Contains("is refused"));
}

TEST_CASE("cgroup nodes from an image stay below the container's cgroup", "[untrusted]") {
  records::CgroupTree tree;
  tree.nodes.push_back({});
  tree.nodes.push_back({"inner", {}, {}});
  tree.nodes.push_back({"inner/deeper", {}, {}});
  CHECK_NOTHROW(restore::check_cgroup_tree(tree));
  for (const char* bad : {"../other-container", "../../..", "/sys/fs/cgroup", "a/../../b", "."}) {
    auto forged = tree;
    forged.nodes.push_back({bad, {}, {}});
    CHECK_THROWS_WITH(restore::check_cgroup_tree(forged), Catch::Contains("is refused"));
  }
}
