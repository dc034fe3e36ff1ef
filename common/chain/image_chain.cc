#include "common/chain/image_chain.h"

#include <filesystem>
#include <set>
#include <utility>

#include "common/chain/identity.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/image/signing.h"

namespace ckpt::chain {
namespace {

namespace fs = std::filesystem;

// Generous: a chain this long costs more to restore than a full dump.
constexpr size_t kMaxChain = 1000;

// Where the parent named `name` by image `child` is: relative to the child's directory, or by
// its file name in `parent_dir`.
std::string parent_path(const std::string& child, const std::string& name,
                        const std::string& parent_dir) {
  fs::path relative(name);
  if (name.empty() || relative.is_absolute() || !relative.has_filename())
    fail(ErrorKind::kImage, "{}: invalid parent name '{}'", child, name);
  if (!parent_dir.empty()) return (fs::path(parent_dir) / relative.filename()).string();
  fs::path dir = child == "-" ? fs::path(".") : fs::path(child).parent_path();
  return (dir / relative).lexically_normal().string();
}

// A pagemap record read up to its runs (records::Pagemap's first field): the page hashes after
// them (2 MiB per GiB of memory) are not decoded. A parent's restore does not use them; decoded
// and dropped, they and the record's bytes were ~1000 page faults of fresh memory per parent of
// a 1 GiB process, on the open stage's one thread. Its version is Pagemap's, whose bytes it reads.
struct PagemapRuns {
  std::vector<records::PageRun> runs;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    records::fields(ar, runs);
  }
};

}  // namespace
}  // namespace ckpt::chain

BOOST_CLASS_VERSION(ckpt::chain::PagemapRuns,
                    boost::serialization::version<ckpt::records::Pagemap>::value)

namespace ckpt::chain {
namespace {

// The pagemaps of `image` (whose process tree is `tree`) by pid in the container, their runs
// only; the records' bytes gathered in one buffer kept from one parent to the next.
std::map<pid_t, records::Pagemap> runs_of(const image::ImageReader& image,
                                          const records::ProcessTree& tree) {
  thread_local std::string bytes;
  std::map<pid_t, records::Pagemap> pagemaps;
  for (const auto& process : tree.processes) {
    auto id = static_cast<uint64_t>(process.host_pid);
    if (!image.has(image::SectionType::kPagemap, id)) continue;
    bytes.clear();
    image.read_stream(image::SectionType::kPagemap, id, [&](std::span<const std::byte> chunk) {
      bytes.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    });
    pagemaps[process.pid].runs = image::from_bytes<PagemapRuns>(bytes, "pagemap").runs;
  }
  return pagemaps;
}

}  // namespace

ImageChain::ImageChain(const std::string& path, const std::string& parent_dir,
                       std::optional<std::string> key, image::PipeMode pipe)
    : key_(std::move(key)) {
  auto reader = open_link(path, pipe);
  auto lineage = lineage_of(*reader);
  auto tree = reader->get<records::ProcessTree>(image::SectionType::kProcessTree, 0);
  links_.push_back({path, std::move(reader), std::move(lineage), std::move(tree), {}});
  std::set<std::string> seen{links_.back().lineage.self.uuid};
  while (links_.back().lineage.parent) {
    if (links_.size() >= kMaxChain) fail(ErrorKind::kImage, "{}: a chain of more than {} images", path, kMaxChain);
    open_parent(*links_.back().lineage.parent, parent_dir);
    if (!seen.insert(links_.back().lineage.self.uuid).second)
      fail(ErrorKind::kImage, "{}: the chain of parents loops at {}", path, links_.back().path);
  }
}

ImageChain::~ImageChain() = default;

void ImageChain::open_parent(const records::ParentRef& ref, const std::string& parent_dir) {
  const std::string& child = links_.back().path;
  std::string path = parent_path(child, ref.name, parent_dir);
  std::error_code ec;
  if (!fs::exists(path, ec))
    fail(ErrorKind::kNotFound, "{}: parent image {} is missing (looked for {}); restore it next to the image or give "
         "--parent-dir",
         child, ref.name, path);
  auto reader = open_link(path);
  auto lineage = lineage_of(*reader);
  if (lineage.self.uuid != ref.identity.uuid)
    fail(ErrorKind::kImage, "{}: parent image {} is a different image (uuid {}, expected {})", child, path,
         lineage.self.uuid.empty() ? "none" : lineage.self.uuid, ref.identity.uuid);
  // The checksum its lineage records, not one computed from its pagemaps: which image this is
  // is settled here; that its pages are what it records is checked by the payloads' checksums
  // (verify_for_restore) and, computed again, by verify().
  if (lineage.self.index_checksum != ref.identity.index_checksum)
    fail(ErrorKind::kImage, "{}: parent image {} does not hold the pages it was made against (index checksum "
         "{:016x}, expected {:016x})",
         child, path, lineage.self.index_checksum, ref.identity.index_checksum);
  auto tree = reader->get<records::ProcessTree>(image::SectionType::kProcessTree, 0);
  auto pagemaps = runs_of(*reader, tree);
  links_.push_back(
      {path, std::move(reader), std::move(lineage), std::move(tree), std::move(pagemaps)});
}

std::unique_ptr<image::ImageReader> ImageChain::open_link(const std::string& path,
                                                          image::PipeMode pipe) const {
  // A signature is checked before any record is decoded: a signed image is read whole first.
  auto reader = std::make_unique<image::ImageReader>(path, key_ ? image::PipeMode::kSpool : pipe);
  if (key_) image::verify_signature(*reader, *key_);
  return reader;
}

std::optional<uint64_t> ImageChain::process_id(size_t link, pid_t ns_pid) const {
  for (const auto& process : links_.at(link).tree.processes)
    if (process.pid == ns_pid && !process.zombie) return static_cast<uint64_t>(process.host_pid);
  return std::nullopt;
}

const records::Pagemap* ImageChain::parent_pagemap(size_t link, pid_t ns_pid) const {
  const auto& pagemaps = links_.at(link).pagemaps;
  auto it = pagemaps.find(ns_pid);
  return it == pagemaps.end() ? nullptr : &it->second;
}

// The newest image's pagemaps are decoded for its index checksum first, so that its verify()
// does not decode them again. Every link's payloads in one pass: the newer links' few chunks
// each kept the decoding threads half idle when each link was verified on its own.
void ImageChain::verify_for_restore() const {
  verify_index(links_.front());
  std::vector<const image::ImageReader*> readers;
  for (const auto& link : links_) readers.push_back(link.reader.get());
  image::verify_all(readers);
}

void ImageChain::verify() const {
  verify_for_restore();
  for (size_t i = 1; i < links_.size(); ++i) verify_index(links_[i]);
}

void ImageChain::verify_index(const Link& link) const {
  if (link.reader->has(image::SectionType::kLineage, 0) &&
      index_checksum(*link.reader) != link.lineage.self.index_checksum)
    fail(ErrorKind::kImage, "{}: the page index does not match the checksum in its lineage", link.path);
}

}  // namespace ckpt::chain
