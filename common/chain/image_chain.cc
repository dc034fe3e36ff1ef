#include "common/chain/image_chain.h"

#include <sys/mman.h>

#include <cstring>
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

// The raw bytes of each page stream of `image`, by stream id.
std::map<uint64_t, uint64_t> page_stream_sizes(const image::ImageReader& image) {
  std::map<uint64_t, uint64_t> sizes;
  for (const auto& section : image.sections())
    if (section.type == image::SectionType::kPages) sizes[section.id] += section.raw_size;
  return sizes;
}

// Kept streams are megabytes written once: in huge pages (where the kernel has them) they fault
// in, and the root task's fork copies them, in a few steps instead of one per page.
void advise_huge_pages(image::Buffer& buffer) {
  constexpr uintptr_t kHugePage = 2u << 20;
  auto start = reinterpret_cast<uintptr_t>(buffer.data());
  uintptr_t from = (start + kHugePage - 1) & ~(kHugePage - 1);
  uintptr_t to = (start + buffer.size()) & ~(kHugePage - 1);
  if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
}

// Checks every section of `image` as ImageReader::verify() does, payload by payload, decoding
// each page stream of `keep` into its buffer (sized to the stream).
void verify_keeping(const image::ImageReader& image, const std::string& path,
                    std::map<uint64_t, image::Buffer>& keep) {
  std::set<std::pair<image::SectionType, uint64_t>> seen;
  for (const auto& section : image.sections()) {
    if (!seen.insert({section.type, section.id}).second) continue;  // its stream is read whole
    auto kept = section.type == image::SectionType::kPages ? keep.find(section.id) : keep.end();
    if (kept == keep.end()) {
      image.read_stream(section.type, section.id, [](std::span<const std::byte>) {});
      continue;
    }
    image::Buffer& buffer = kept->second;
    uint64_t at = 0;
    image.read_stream(section.type, section.id, [&](std::span<const std::byte> chunk) {
      if (chunk.empty()) return;  // an empty stream has no buffer to copy into
      if (chunk.size() > buffer.size() - at)
        fail(ErrorKind::kImage, "{}: page stream {} longer than its sections", path, section.id);
      std::memcpy(buffer.data() + at, chunk.data(), chunk.size());
      at += chunk.size();
    });
  }
}

}  // namespace

ImageChain::ImageChain(const std::string& path, const std::string& parent_dir,
                       std::optional<std::string> key, image::PipeMode pipe)
    : key_(std::move(key)) {
  auto reader = open_link(path, pipe);
  auto lineage = lineage_of(*reader);
  auto tree = reader->get<records::ProcessTree>(image::SectionType::kProcessTree, 0);
  links_.push_back({path, std::move(reader), std::move(lineage), std::move(tree), {}, {}});
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
  std::map<pid_t, records::Pagemap> pagemaps;
  uint64_t sum = index_checksum(*reader, &pagemaps);
  if (sum != ref.identity.index_checksum || sum != lineage.self.index_checksum)
    fail(ErrorKind::kImage, "{}: parent image {} does not hold the pages it was made against (index checksum "
         "{:016x}, expected {:016x})",
         child, path, sum, ref.identity.index_checksum);
  auto tree = reader->get<records::ProcessTree>(image::SectionType::kProcessTree, 0);
  links_.push_back(
      {path, std::move(reader), std::move(lineage), std::move(tree), std::move(pagemaps), {}});
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

void ImageChain::verify() const {
  for (const auto& link : links_) link.reader->verify();
  verify_newest_index();
}

void ImageChain::verify_keeping_pages(uint64_t budget) {
  uint64_t kept = 0;
  bool keeping = true;  // the newest links only: a chain restore reads the oldest from its file
  for (size_t i = 0; i < links_.size(); ++i) {
    Link& link = links_[i];
    auto sizes = page_stream_sizes(*link.reader);
    uint64_t bytes = 0;
    for (auto [id, size] : sizes) bytes += size;
    keeping = keeping && i + 1 < links_.size() && bytes <= budget - kept;
    if (!keeping) {
      link.reader->verify();
      continue;
    }
    kept += bytes;
    for (auto [id, size] : sizes) {
      link.kept_pages[id].resize(size);
      advise_huge_pages(link.kept_pages[id]);
    }
    verify_keeping(*link.reader, link.path, link.kept_pages);
  }
  verify_newest_index();
}

const image::Buffer* ImageChain::kept_pages(size_t link, uint64_t id) const {
  const auto& kept = links_.at(link).kept_pages;
  auto it = kept.find(id);
  return it == kept.end() ? nullptr : &it->second;
}

// The parents' index checksums were checked on opening; the newest image's here.
void ImageChain::verify_newest_index() const {
  const Link& newest = links_.front();
  if (newest.reader->has(image::SectionType::kLineage, 0) &&
      index_checksum(*newest.reader) != newest.lineage.self.index_checksum)
    fail(ErrorKind::kImage, "{}: the page index does not match the checksum in its lineage", newest.path);
}

}  // namespace ckpt::chain
