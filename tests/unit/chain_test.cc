// Incremental images without root: images written the way the dump writes them (PageIndex,
// PageStreamWriter), a chain of three resolved page by page, flattened, and parents that are
// missing or different refused by name.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <functional>
#include <map>

#include "backup/flatten.h"
#include "ckpt/pages_index.h"
#include "ckpt/pages.h"
#include "common/chain/identity.h"
#include "common/chain/image_chain.h"
#include "common/chain/page_sources.h"
#include "common/error.h"
#include "common/image/format.h"
#include "common/records/tree.h"
#include "image_test_support.h"

using namespace ckpt;
using image::SectionType;

namespace {

constexpr pid_t kHostPid = 4242, kNsPid = 1;
constexpr uint64_t kPage = 4096;
using Memory = std::map<uint64_t, std::string>;  // address -> page

std::string page_of(int seed) {
  std::string page(kPage, '\0');
  auto value = static_cast<uint32_t>(seed);  // wraps, as a pattern should (int would overflow)
  for (size_t i = 0; i < kPage; i += 8) {
    std::memcpy(&page[i], &value, sizeof value);
    value = value * 31 + 7;
  }
  return page;
}

records::ProcessTree tree_of(pid_t host_pid) {
  records::ProcessTree tree;
  records::ProcessEntry init;
  init.host_pid = host_pid;
  init.pid = kNsPid;
  tree.processes.push_back(init);
  return tree;
}

// An image of one process holding `memory`, incremental on `parent` if given; returns the number
// of pages its stream stores. The host pid changes between dumps, the pid in the container not.
// `edit`, if given, changes the lineage written.
uint64_t write_image(const std::string& path, const Memory& memory, const std::string& parent,
                     pid_t host_pid = kHostPid,
                     const std::function<void(records::Lineage&)>& edit = {}) {
  dump::PageIndex index(parent);
  auto tree = tree_of(host_pid);
  index.bind(tree);
  image::ImageWriter w(path, image::make_header("chain"));
  w.put(SectionType::kProcessTree, 0, tree);
  auto stream = w.open_stream(SectionType::kPages, host_pid);
  dump::PageStreamWriter writer(*stream, index.parent_pages(host_pid));
  for (const auto& [address, page] : memory) writer.keep(address, page.data());
  auto pagemap = writer.finish();
  stream->close();
  index.add(host_pid, pagemap);
  w.put(SectionType::kPagemap, host_pid, pagemap);
  auto lineage = index.lineage(path);
  if (edit) edit(lineage);
  w.put(SectionType::kLineage, 0, lineage);
  w.finish();
  uint64_t stored = 0;
  for (const auto& run : pagemap.stored_runs()) stored += run.pages;
  return stored;
}

// The memory of the newest image of the chain at `path`, gathered from every link. `layered`, as
// a restore gathers it: the oldest link's stream whole, the newer links' pages written over it;
// else each page from its own link only.
Memory read_memory(const std::string& path, bool layered = true) {
  chain::ImageChain chain(path);
  auto id = chain.process_id(0, kNsPid);
  REQUIRE(id);
  auto pagemap = chain.image().get<records::Pagemap>(SectionType::kPagemap, *id);
  Memory memory;
  std::mutex mutex;
  uint64_t placed = 0;
  auto place = [&](uint64_t address, std::span<const std::byte> bytes) {
    std::lock_guard lock(mutex);
    for (uint64_t at = 0; at < bytes.size(); at += kPage) {
      auto [page, fresh] = memory.try_emplace(address + at);
      CHECK(fresh);  // each page placed once (UFFDIO_COPY fills a page once)
      page->second.assign(reinterpret_cast<const char*>(bytes.data()) + at, kPage);
    }
    placed += bytes.size();
  };
  auto over = [&](std::span<const chain::Piece> pieces) {
    std::lock_guard lock(mutex);
    for (const auto& piece : pieces)
      for (uint64_t at = 0; at < piece.bytes.size(); at += kPage) {
        auto page = memory.find(piece.address + at);
        REQUIRE(page != memory.end());  // written over a page placed already
        page->second.assign(reinterpret_cast<const char*>(piece.bytes.data()) + at, kPage);
      }
  };
  auto sources = chain::page_sources(chain, kNsPid, *id, pagemap);
  if (layered && sources.size() > 1)
    CHECK(chain::read_layered(sources, place, over) == chain::pages_bytes(pagemap));
  else
    for (const auto& source : sources) chain::read_pages(source, place);
  CHECK(placed == chain::pages_bytes(pagemap));
  return memory;
}

// Flips a bit in the first page payload of the image at `path`.
void damage_pages(const std::string& path) {
  uint64_t offset = 0;
  {
    image::ImageReader reader(path);
    for (const auto& section : reader.sections())
      if (section.type == SectionType::kPages && !offset)
        offset = section.offset + image::format::kSectionHeaderSize;
  }
  REQUIRE(offset);
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  file.read(&byte, 1);
  byte ^= 1;
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(&byte, 1);
}

Memory base_memory() {
  Memory m;
  for (int i = 0; i < 64; ++i) m[0x10000000 + i * kPage] = page_of(i);
  for (int i = 0; i < 16; ++i) m[0x7f0000000000 + i * kPage] = page_of(1000 + i);
  return m;
}

}  // namespace

TEST_CASE("an incremental image stores only changed pages and restores the same memory",
          "[chain]") {
  image::testing::TempDir dir;
  Memory v1 = base_memory();
  CHECK(write_image(dir.file("a.ckpt"), v1, "") == 80);

  Memory v2 = v1;
  v2[0x10000000 + 5 * kPage] = page_of(5000);     // changed
  v2[0x10000000 + 64 * kPage] = page_of(5001);    // grown
  v2.erase(0x7f0000000000 + 3 * kPage);           // gone (zeroed or unmapped)
  CHECK(write_image(dir.file("b.ckpt"), v2, dir.file("a.ckpt"), kHostPid + 1) == 2);

  Memory v3 = v2;
  v3[0x10000000 + 5 * kPage] = page_of(6000);     // changed again
  v3[0x10000000 + 6 * kPage] = page_of(6001);
  CHECK(write_image(dir.file("c.ckpt"), v3, dir.file("b.ckpt"), kHostPid + 2) == 2);

  Memory v4 = v3;
  v4[0x10000000 + 5 * kPage] = page_of(7000);     // changed in every link: the newest wins
  v4[0x10000000 + 7 * kPage] = page_of(7001);
  CHECK(write_image(dir.file("d.ckpt"), v4, dir.file("c.ckpt"), kHostPid + 3) == 2);

  CHECK(read_memory(dir.file("d.ckpt")) == v4);
  CHECK(read_memory(dir.file("c.ckpt")) == v3);
  CHECK(read_memory(dir.file("b.ckpt")) == v2);
  CHECK(read_memory(dir.file("a.ckpt")) == v1);
  chain::ImageChain chain(dir.file("c.ckpt"));
  CHECK(chain.size() == 3);
  chain.verify();

  SECTION("read link by link, each page from its own link, the chain gives the same memory") {
    CHECK(read_memory(dir.file("d.ckpt"), false) == v4);
    CHECK(read_memory(dir.file("b.ckpt"), false) == v2);
  }
  SECTION("a damaged page in a newer link fails the checks, naming the link") {
    damage_pages(dir.file("b.ckpt"));
    chain::ImageChain damaged(dir.file("d.ckpt"));
    CHECK_THROWS_WITH(damaged.verify(), Catch::Contains("b.ckpt"));
  }

  SECTION("flatten gives a full image of the same memory and identity") {
    backup::flatten({dir.file("c.ckpt"), dir.file("full.ckpt"), {}, 1, {}, {}});
    chain::ImageChain flat(dir.file("full.ckpt"));
    CHECK(flat.size() == 1);
    CHECK(flat.lineage().self == chain.lineage().self);
    CHECK(read_memory(dir.file("full.ckpt")) == v3);
    // Flattened in place, a parent still serves its children.
    backup::flatten({dir.file("b.ckpt"), dir.file("b.ckpt"), {}, 1, {}, {}});
    std::filesystem::remove(dir.file("a.ckpt"));
    CHECK(read_memory(dir.file("c.ckpt")) == v3);
  }
  SECTION("a missing parent is refused by name") {
    std::filesystem::remove(dir.file("a.ckpt"));
    CHECK_THROWS_WITH(chain::ImageChain(dir.file("c.ckpt")),
                      Catch::Contains("parent image a.ckpt is missing"));
  }
  SECTION("another image under the parent's name is refused") {
    write_image(dir.file("b.ckpt"), v2, "");
    CHECK_THROWS_WITH(chain::ImageChain(dir.file("c.ckpt")),
                      Catch::Contains("b.ckpt is a different image"));
  }
  SECTION("--parent-dir finds parents elsewhere") {
    auto other = dir.path() / "moved";
    std::filesystem::create_directory(other);
    std::filesystem::rename(dir.file("a.ckpt"), other / "a.ckpt");
    std::filesystem::rename(dir.file("b.ckpt"), other / "b.ckpt");
    chain::ImageChain moved(dir.file("c.ckpt"), other.string());
    CHECK(moved.size() == 3);
  }
}

// Restore takes a parent for the image its child was made against by the identity its lineage
// records (the uuid and the index checksum, not computed again); `ckpt verify` computes every
// link's index checksum again.
TEST_CASE("a parent is known by its recorded identity; verify computes its index again",
          "[chain]") {
  image::testing::TempDir dir;
  Memory v1 = base_memory();
  write_image(dir.file("a.ckpt"), v1, "");
  Memory v2 = v1;
  v2[0x10000000 + 5 * kPage] = page_of(5000);
  write_image(dir.file("b.ckpt"), v2, dir.file("a.ckpt"), kHostPid + 1);
  auto identity = chain::lineage_of(image::ImageReader(dir.file("a.ckpt"))).self;
  Memory other = v1;
  other[0x10000000 + 9 * kPage] = page_of(9000);

  SECTION("the same uuid over other pages is refused by name before the chain is used") {
    write_image(dir.file("a.ckpt"), other, "", kHostPid,
                [&](records::Lineage& l) { l.self.uuid = identity.uuid; });
    CHECK_THROWS_WITH(chain::ImageChain(dir.file("b.ckpt")),
                      Catch::Contains("a.ckpt does not hold the pages it was made against"));
  }
  SECTION("pages that do not match the index checksum recorded fail verify, naming the link") {
    write_image(dir.file("a.ckpt"), other, "", kHostPid,
                [&](records::Lineage& l) { l.self = identity; });
    chain::ImageChain chain(dir.file("b.ckpt"));
    CHECK(chain.size() == 2);
    chain.verify_for_restore();  // every payload is as written
    CHECK_THROWS_WITH(chain.verify(), Catch::Contains("a.ckpt: the page index does not match"));
  }
}

TEST_CASE("a format 1 image cannot be a parent", "[chain]") {
  image::testing::TempDir dir;
  {
    image::ImageWriter w(dir.file("old.ckpt"), image::make_header("old"));
    w.put(SectionType::kProcessTree, 0, tree_of(kHostPid));
    w.finish();
  }
  CHECK_THROWS_WITH(dump::PageIndex(dir.file("old.ckpt")), Catch::Contains("no page hashes"));
  CHECK(chain::ImageChain(dir.file("old.ckpt")).size() == 1);
}
