#include "ckpt/pages_index.h"

#include <algorithm>
#include <filesystem>

#include "common/chain/page_hash.h"
#include "common/chain/trees.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/image/image.h"

namespace ckpt::dump {

ParentPages::ParentPages(records::Pagemap pagemap) : map_(std::move(pagemap)) {
  uint64_t at = 0;
  for (const auto& run : map_.runs) {
    first_page_.push_back(at);
    at += run.pages;
  }
  if (at != map_.hashes.size()) fail("parent pagemap has {} hashes for {} pages", map_.hashes.size(), at);
}

std::optional<uint64_t> ParentPages::hash_at(uint64_t address) const {
  const auto& runs = map_.runs;
  auto it = std::upper_bound(runs.begin(), runs.end(), address,
                             [](uint64_t a, const records::PageRun& run) { return a < run.start; });
  if (it == runs.begin()) return std::nullopt;
  --it;
  if (address >= it->end()) return std::nullopt;
  size_t run = static_cast<size_t>(it - runs.begin());
  return map_.hashes[first_page_[run] + (address - it->start) / chain::kPageBytes];
}

PageIndex::PageIndex(const std::string& parent_path)
    : parent_path_(parent_path), uuid_(chain::new_uuid()) {
  if (parent_path.empty()) return;
  if (parent_path == "-") fail("--parent: the parent image must be a file");
  parent_image_ = std::make_unique<image::ImageReader>(parent_path);
  const image::ImageReader& parent = *parent_image_;
  if (!parent.has(image::SectionType::kLineage, 0))
    fail("--parent {}: an image of format {} has no page hashes; make a full image first",
         parent_path, parent.header().format_version);
  auto lineage = chain::lineage_of(parent);
  auto tree = parent.get<records::ProcessTree>(image::SectionType::kProcessTree, 0);
  chain::IndexChecksum sum;
  for (const auto& process : tree.processes) {
    auto id = static_cast<uint64_t>(process.host_pid);
    if (process.zombie || !parent.has(image::SectionType::kPagemap, id)) continue;
    auto pagemap = parent.get<records::Pagemap>(image::SectionType::kPagemap, id);
    sum.add(process.pid, pagemap);
    parent_by_ns_pid_[process.pid] = std::make_unique<ParentPages>(std::move(pagemap));
  }
  if (sum.value() != lineage.self.index_checksum)
    fail("--parent {}: its page index does not match its checksum", parent_path);
  parent_ = records::ParentRef{lineage.self, "", parent.header().created_unix};
}

PageIndex::~PageIndex() = default;

const tree::FileIndex* PageIndex::parent_files(const records::MountRecord& m) {
  if (!parent_image_) return nullptr;
  auto it = parent_files_.find(m.mount_point);
  if (it != parent_files_.end()) return &it->second;
  auto id = chain::same_mount_tree(*parent_image_, m);
  if (!id) return nullptr;
  auto files = tree::read_file_index(*parent_image_, image::SectionType::kMountData, *id);
  return &parent_files_.emplace(m.mount_point, std::move(files)).first->second;
}

void PageIndex::bind(const records::ProcessTree& tree) {
  for (const auto& process : tree.processes) ns_pid_of_[process.host_pid] = process.pid;
}

const ParentPages* PageIndex::parent_pages(pid_t host_pid) const {
  auto ns = ns_pid_of_.find(host_pid);
  if (ns == ns_pid_of_.end()) return nullptr;
  auto it = parent_by_ns_pid_.find(ns->second);
  return it == parent_by_ns_pid_.end() ? nullptr : it->second.get();
}

const ParentPages* PageIndex::parent_pages_of_running(pid_t host_pid) const {
  if (parent_by_ns_pid_.empty()) return nullptr;
  auto status = fs::try_read_file("/proc/" + std::to_string(host_pid) + "/status");
  if (!status) return nullptr;
  size_t at = status->find("\nNSpid:");
  if (at == std::string::npos) return nullptr;
  std::string line = status->substr(at + 7, status->find('\n', at + 1) - at - 7);
  size_t last = line.find_last_of(" \t");
  pid_t ns_pid = static_cast<pid_t>(std::stol(line.substr(last + 1)));
  auto it = parent_by_ns_pid_.find(ns_pid);
  return it == parent_by_ns_pid_.end() ? nullptr : it->second.get();
}

void PageIndex::add(pid_t host_pid, const records::Pagemap& pagemap) {
  auto ns = ns_pid_of_.find(host_pid);
  if (ns == ns_pid_of_.end()) fail("process {} is not in the process tree", host_pid);
  checksum_.add(ns->second, pagemap);
}

records::Lineage PageIndex::lineage(const std::string& output) const {
  namespace fs = std::filesystem;
  records::Lineage lineage;
  lineage.self = {uuid_, checksum_.value()};
  if (parent_) {
    lineage.parent = parent_;
    // The parent's name as seen from the new image's directory (stdout: from here).
    fs::path output_dir = output == "-" ? fs::current_path() : fs::absolute(output).parent_path();
    lineage.parent->name = fs::absolute(parent_path_).lexically_relative(output_dir).string();
  }
  return lineage;
}

}  // namespace ckpt::dump
