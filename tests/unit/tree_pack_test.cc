#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "common/tree_pack.h"
#include "image_test_support.h"

using namespace ckpt;
using image::testing::TempDir;
namespace fsys = std::filesystem;

namespace {

void write(const fsys::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string read(const fsys::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct stat stat_of(const fsys::path& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

// Packs `top` into an image and unpacks it into a new directory `out`.
void round_trip(
    const TempDir& tmp, const fsys::path& top, const fsys::path& out,
    const std::function<bool(const std::string&)>& skip = [](auto&) { return false; }) {
  {
    image::ImageWriter writer(tmp.file("tree.ckpt"), image::make_header("t"));
    auto stream = writer.open_stream(image::SectionType::kMountData, 7);
    tree::pack_tree(top, skip, *stream);
    stream->close();
    writer.finish();
  }
  image::ImageReader reader(tmp.file("tree.ckpt"));
  fsys::create_directory(out);
  tree::unpack_tree(reader, image::SectionType::kMountData, 7, out);
}

}  // namespace

TEST_CASE("a packed tree comes back with contents, modes, links, holes and times") {
  TempDir tmp;
  fsys::path top = tmp.path() / "top", out = tmp.path() / "out";
  fsys::create_directories(top / "dir" / "deep");
  write(top / "dir" / "deep" / "file", "hello");
  ::chmod((top / "dir").c_str(), 0750);
  write(top / "secret", "s");
  ::chmod((top / "secret").c_str(), 0600);
  ::symlink("dir/deep/file", (top / "link").c_str());
  ::link((top / "secret").c_str(), (top / "hard").c_str());
  ::mkfifo((top / "fifo").c_str(), 0640);
  {
    int fd = ::open((top / "sparse").c_str(), O_WRONLY | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::pwrite(fd, "end", 3, 64 << 20) == 3);
    ::close(fd);
  }
  timespec times[2] = {{0, UTIME_OMIT}, {1000000000, 5}};
  ::utimensat(AT_FDCWD, (top / "secret").c_str(), times, AT_SYMLINK_NOFOLLOW);
  ::chmod((top / "dir" / "deep").c_str(), 0500);  // read-only dir: filled before its mode is set

  round_trip(tmp, top, out);

  CHECK(read(out / "dir" / "deep" / "file") == "hello");
  CHECK((stat_of(out / "dir").st_mode & 07777) == 0750);
  CHECK((stat_of(out / "dir" / "deep").st_mode & 07777) == 0500);
  CHECK((stat_of(out / "secret").st_mode & 07777) == 0600);
  CHECK(stat_of(out / "secret").st_mtim.tv_sec == 1000000000);
  CHECK(fsys::read_symlink(out / "link") == "dir/deep/file");
  CHECK(stat_of(out / "hard").st_ino == stat_of(out / "secret").st_ino);
  CHECK(S_ISFIFO(stat_of(out / "fifo").st_mode));
  auto sparse = stat_of(out / "sparse");
  CHECK(sparse.st_size == (64 << 20) + 3);
  CHECK(sparse.st_blocks * 512 < (1 << 20));  // the hole stayed a hole
  ::chmod((top / "dir" / "deep").c_str(), 0700);
  ::chmod((out / "dir" / "deep").c_str(), 0700);
}

TEST_CASE("skipped paths (mount points of other mounts) are neither stored nor entered") {
  TempDir tmp;
  fsys::path top = tmp.path() / "top", out = tmp.path() / "out";
  fsys::create_directories(top / "mnt" / "inside");
  write(top / "kept", "k");
  round_trip(tmp, top, out, [](const std::string& rel) { return rel == "mnt"; });
  CHECK(fsys::exists(out / "kept"));
  CHECK(!fsys::exists(out / "mnt"));
}

TEST_CASE("unpacking replaces files that are in the way and keeps existing directories") {
  TempDir tmp;
  fsys::path top = tmp.path() / "top", out = tmp.path() / "out";
  fsys::create_directories(top / "d");
  write(top / "d" / "f", "new");
  fsys::create_directories(out / "d");
  write(out / "d" / "f", "old contents");
  write(out / "d" / "other", "stays");
  {
    image::ImageWriter writer(tmp.file("tree.ckpt"), image::make_header("t"));
    auto stream = writer.open_stream(image::SectionType::kMountData, 1);
    tree::pack_tree(
        top, [](auto&) { return false; }, *stream);
    stream->close();
    writer.finish();
  }
  image::ImageReader reader(tmp.file("tree.ckpt"));
  tree::unpack_tree(reader, image::SectionType::kMountData, 1, out);
  CHECK(read(out / "d" / "f") == "new");
  CHECK(read(out / "d" / "other") == "stays");
}

TEST_CASE("extended attributes of files and directories come back") {
  TempDir tmp;
  fsys::path top = tmp.path() / "top", out = tmp.path() / "out";
  fsys::create_directories(top / "dir");
  write(top / "file", "x");
  const char value[] = "y";
  REQUIRE(::setxattr((top / "dir").c_str(), "user.ckpt.opaque", value, 1, 0) == 0);
  REQUIRE(::setxattr((top / "file").c_str(), "user.ckpt.note", "hello", 5, 0) == 0);
  round_trip(tmp, top, out);
  char got[16] = {};
  CHECK(::getxattr((out / "dir").c_str(), "user.ckpt.opaque", got, sizeof got) == 1);
  CHECK(std::string(got) == "y");
  CHECK(::getxattr((out / "file").c_str(), "user.ckpt.note", got, sizeof got) == 5);
  CHECK(std::string(got, 5) == "hello");
}

namespace {

// Packs `top` into image `path` (stream kMountData 1), incremental on `parent` if given.
void pack_into(const std::string& path, const fsys::path& top,
               const tree::FileIndex* parent = nullptr) {
  image::ImageWriter writer(path, image::make_header("t"));
  auto stream = writer.open_stream(image::SectionType::kMountData, 1);
  tree::pack_tree(top, [](auto&) { return false; }, *stream, {.parent = parent});
  stream->close();
  writer.finish();
}

}  // namespace

TEST_CASE("an incremental tree stores changed files and takes the others from its parent",
          "[tree][chain]") {
  TempDir tmp;
  auto top = tmp.path() / "top";
  fsys::create_directories(top / "sub");
  write(top / "same", std::string(100000, 's'));
  write(top / "sub" / "changed", "old contents");
  write(top / "empty", "");
  fsys::create_hard_link(top / "same", top / "same-link");
  pack_into(tmp.file("a.ckpt"), top);
  image::ImageReader a(tmp.file("a.ckpt"));
  auto index = tree::read_file_index(a, image::SectionType::kMountData, 1);
  CHECK(index.count("same") + index.count("same-link") == 1);
  CHECK(index.count("sub/changed"));

  write(top / "sub" / "changed", "new contents, longer");
  write(top / "added", "added");
  pack_into(tmp.file("b.ckpt"), top, &index);
  image::ImageReader b(tmp.file("b.ckpt"));
  auto b_index = tree::read_file_index(b, image::SectionType::kMountData, 1);
  // "same" and "same-link" are one file: whichever name comes first carries it.
  CHECK((b_index.count("same") ? b_index.at("same") : b_index.at("same-link")).data_in_parent);
  CHECK_FALSE(b_index.at("sub/changed").data_in_parent);
  CHECK_FALSE(b_index.at("added").data_in_parent);

  auto out = tmp.path() / "out";
  fsys::create_directory(out);
  auto needed = tree::unpack_tree(b, image::SectionType::kMountData, 1, out);
  CHECK(needed.size() == 1);
  CHECK(tree::fill_tree_data(a, image::SectionType::kMountData, 1, out, needed).empty());
  CHECK(read(out / "same") == std::string(100000, 's'));
  CHECK(read(out / "same-link") == std::string(100000, 's'));
  CHECK(read(out / "sub" / "changed") == "new contents, longer");
  CHECK(read(out / "added") == "added");
  CHECK(stat_of(out / "same").st_mtim.tv_nsec == stat_of(top / "same").st_mtim.tv_nsec);
  CHECK(stat_of(out / "same").st_mtim.tv_sec == stat_of(top / "same").st_mtim.tv_sec);
}

namespace {

// Packs `top` into image `path` (stream kMountData 1) with `options`.
void pack_with(const std::string& path, const fsys::path& top, const tree::PackOptions& options) {
  image::ImageWriter writer(path, image::make_header("t"));
  auto stream = writer.open_stream(image::SectionType::kMountData, 1);
  tree::pack_tree(top, [](auto&) { return false; }, *stream, options);
  stream->close();
  writer.finish();
}

// Unpacks image `path` below `out` (over the paths `held`); every path it named.
std::vector<std::string> unpack_with(const std::string& path, const fsys::path& out,
                                     const std::vector<std::string>* held) {
  image::ImageReader reader(path);
  tree::TreeUnpacker unpacker(out, held);
  reader.read_stream(image::SectionType::kMountData, 1,
                     [&](std::span<const std::byte> chunk) { unpacker.feed(chunk); });
  unpacker.finish();
  return unpacker.paths();
}

}  // namespace

TEST_CASE("a tree packed over the files its reader holds is brought up to date in place",
          "[tree]") {
  TempDir tmp;
  auto top = tmp.path() / "top", out = tmp.path() / "out";
  fsys::create_directories(top / "gone" / "deep");
  fsys::create_directories(top / "was-dir" / "sub");
  write(top / "keep", std::string(100000, 'k'));
  write(top / "changed", "old");
  write(top / "gone" / "deep" / "x", "x");
  write(top / "was-dir" / "sub" / "y", "y");
  write(top / "was-file", "f");
  tree::FileStamps stamps;
  pack_with(tmp.file("a.ckpt"), top, {.stamps = &stamps, .stamp_margin_ns = 0});
  CHECK(stamps.count("keep"));
  fsys::create_directory(out);
  auto held = unpack_with(tmp.file("a.ckpt"), out, nullptr);
  auto kept_inode = stat_of(out / "keep").st_ino;

  write(top / "changed", "new, longer");
  fsys::remove_all(top / "gone");
  fsys::remove_all(top / "was-dir");
  write(top / "was-dir", "now a file");
  fsys::remove(top / "was-file");
  fsys::create_directory(top / "was-file");
  write(top / "was-file" / "inside", "i");
  pack_with(tmp.file("b.ckpt"), top, {.held = &stamps});
  image::ImageReader b(tmp.file("b.ckpt"));
  auto index = tree::read_file_index(b, image::SectionType::kMountData, 1);
  CHECK(index.at("keep").data_in_parent);
  CHECK_FALSE(index.at("changed").data_in_parent);
  unpack_with(tmp.file("b.ckpt"), out, &held);

  CHECK(stat_of(out / "keep").st_ino == kept_inode);
  CHECK(read(out / "keep") == std::string(100000, 'k'));
  CHECK(read(out / "changed") == "new, longer");
  CHECK(!fsys::exists(out / "gone"));
  CHECK(read(out / "was-dir") == "now a file");
  CHECK(read(out / "was-file" / "inside") == "i");
}
