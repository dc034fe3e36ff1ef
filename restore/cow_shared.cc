#include "restore/cow_shared.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/log.h"
#include "common/proc/pagemap.h"
#include "common/unique_fd.h"
#include "restore/mm.h"

namespace ckpt::restore {
namespace {

using proc::kPageSize;

constexpr uint64_t kFirstRegion = uint64_t{1} << 44;  // 16 TiB: below where mmap puts things
constexpr uint64_t kUserTop = uint64_t{1} << 47;

const records::Vma* vma_holding(const records::MmState& mm, uint64_t start, uint64_t end) {
  for (const auto& vma : mm.vmas)
    if (vma.start <= start && end <= vma.end) return &vma;
  return nullptr;
}

const records::Vma* vma_starting(const records::MmState& mm, uint64_t start) {
  for (const auto& vma : mm.vmas)
    if (vma.start == start) return &vma;
  return nullptr;
}

// What the dump shares (ckpt/cow_shared): a VMA the parent has alike and shares nothing of with
// its own parent.
bool can_share(const records::Vma& child, const records::Vma* parent,
               const records::MmState& parent_mm) {
  if (!parent || !records::can_share_copy_on_write(child, *parent)) return false;
  return std::none_of(parent_mm.shared_with_parent.begin(), parent_mm.shared_with_parent.end(),
                      [&](const auto& r) { return r.start < child.end && child.start < r.end; });
}

void check_ranges(int32_t pid, const std::vector<records::AddressRange>& ranges) {
  uint64_t end = 0;
  for (const auto& r : ranges)
    if (r.start % kPageSize || r.end % kPageSize || r.start >= r.end || r.start < end ||
        r.end > kUserTop)
      fail(ErrorKind::kImage, "process {}: damaged image: pages {:#x}-{:#x} shared with its parent",
           pid, r.start, r.end);
    else
      end = r.end;
}

// Sorts `ranges` and joins those that overlap or touch.
void merge_ranges(std::vector<records::AddressRange>& ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const auto& a, const auto& b) { return a.start < b.start; });
  std::vector<records::AddressRange> merged;
  for (const auto& r : ranges)
    if (!merged.empty() && r.start <= merged.back().end)
      merged.back().end = std::max(merged.back().end, r.end);
    else
      merged.push_back(r);
  ranges = std::move(merged);
}

// The address ranges of every VMA of the image, ascending.
std::vector<std::pair<uint64_t, uint64_t>> image_vmas(
    const std::map<int32_t, records::MmState>& mms) {
  std::vector<std::pair<uint64_t, uint64_t>> used;
  for (const auto& [pid, mm] : mms)
    for (const auto& vma : mm.vmas) used.emplace_back(vma.start, vma.end);
  std::sort(used.begin(), used.end());
  return used;
}

}  // namespace

CowRegions::CowRegions(const records::ProcessTree& tree,
                       const std::map<int32_t, records::MmState>& mms,
                       const SourcesOf& sources_of) {
  for (const auto& [pid, mm] : mms) {
    if (mm.shared_with_parent.empty()) continue;
    check_ranges(pid, mm.shared_with_parent);
    auto entry = std::find_if(tree.processes.begin(), tree.processes.end(),
                              [&](const auto& e) { return e.pid == pid; });
    auto parent = entry == tree.processes.end() ? mms.end() : mms.find(entry->ppid);
    for (const auto& range : mm.shared_with_parent) {
      const records::Vma* vma = vma_holding(mm, range.start, range.end);
      if (!vma || parent == mms.end() ||
          !can_share(*vma, vma_starting(parent->second, vma->start), parent->second))
        fail(ErrorKind::kImage,
             "process {}: damaged image: pages {:#x}-{:#x} shared with its parent are in no "
             "mapping both have",
             pid, range.start, range.end);
      auto region = std::find_if(regions_.begin(), regions_.end(), [&](const Region& r) {
        return r.owner == entry->ppid && r.vma.start == vma->start;
      });
      if (region == regions_.end())
        region = regions_.insert(regions_.end(), {entry->ppid, *vma, 0, {}, {}});
      if (region->sharers.empty() || region->sharers.back() != pid) region->sharers.push_back(pid);
    }
  }
  if (regions_.empty()) return;
  map_regions(mms);
  fill(tree, sources_of);
}

CowRegions::~CowRegions() {
  release();
}

void CowRegions::map_regions(const std::map<int32_t, records::MmState>& mms) {
  auto used = image_vmas(mms);
  uint64_t candidate = kFirstRegion;
  for (auto& region : regions_) {
    uint64_t size = region.vma.size();
    for (;;) {
      // A page of gap on both sides keeps the regions from merging with anything.
      uint64_t end = candidate + size + kPageSize;
      auto clash = std::find_if(used.begin(), used.end(), [&](const auto& vma) {
        return vma.first < end && candidate < vma.second + kPageSize;
      });
      if (clash != used.end()) {
        candidate = clash->second + kPageSize;
        continue;
      }
      if (end > kUserTop) fail("no room to map pages shared copy-on-write ({} bytes)", size);
      int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE |
                  static_cast<int>(region.vma.flags & MAP_NORESERVE);
      void* at =
          ::mmap(reinterpret_cast<void*>(candidate), size, PROT_READ | PROT_WRITE, flags, -1, 0);
      if (at == reinterpret_cast<void*>(candidate)) break;
      if (at != MAP_FAILED) ::munmap(at, size);  // a kernel without MAP_FIXED_NOREPLACE
      if (at == MAP_FAILED && errno != EEXIST) throw_errno("mmap {} bytes", size);
      candidate += uint64_t{1} << 30;  // something of the tracer's is there
    }
    region.address = candidate;
    candidate += size + kPageSize;
  }
}

void CowRegions::fill(const records::ProcessTree& tree, const SourcesOf& sources_of) {
  for (const auto& entry : tree.processes) {
    std::vector<Region*> own;
    for (auto& region : regions_)
      if (region.owner == entry.pid) own.push_back(&region);
    if (own.empty()) continue;
    std::mutex filling;  // the pieces come on the reader's decoding threads
    for (const auto& source : sources_of(entry))
      chain::read_pages(source, [&](uint64_t address, std::span<const std::byte> bytes) {
        for (Region* region : own) {
          uint64_t start = std::max(address, region->vma.start);
          uint64_t end = std::min(address + bytes.size(), region->vma.end);
          if (start >= end) continue;
          std::memcpy(reinterpret_cast<char*>(region->address + (start - region->vma.start)),
                      bytes.data() + (start - address), end - start);
          if (!region->vma.private_file()) continue;  // map_files copies these
          std::lock_guard lock(filling);
          region->filled.push_back({start, end});
        }
      });
    for (Region* region : own) merge_ranges(region->filled);
    spdlog::debug("process {}: {} regions of pages its children share copy-on-write", entry.pid,
                  own.size());
  }
}

void CowRegions::map_files(const image::ImageReader& image) {
  for (auto& region : regions_) {
    const records::Vma& vma = region.vma;
    if (!vma.private_file()) continue;
    UniqueFd fd(::open(vma.name.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) throw_errno("cannot reopen mapped file {}", vma.name);
    check_mapped_file(vma, st, image);
    int flags = MAP_PRIVATE | static_cast<int>(vma.flags & MAP_NORESERVE);
    void* file = ::mmap(nullptr, vma.size(), PROT_READ | PROT_WRITE, flags, fd.get(),
                        static_cast<off_t>(vma.offset));
    if (file == MAP_FAILED) throw_errno("mmap {} at offset {}", vma.name, vma.offset);
    for (const auto& r : region.filled)  // copies on write: the file's other pages stay its own
      std::memcpy(static_cast<char*>(file) + (r.start - vma.start),
                  reinterpret_cast<const char*>(region.address + (r.start - vma.start)),
                  r.end - r.start);
    if (::mremap(file, vma.size(), vma.size(), MREMAP_MAYMOVE | MREMAP_FIXED,
                 reinterpret_cast<void*>(region.address)) == MAP_FAILED) {
      ::munmap(file, vma.size());
      throw_errno("mremap {} onto its region of shared pages", vma.name);
    }
  }
}

void CowRegions::release() {
  if (released_) return;
  for (const auto& region : regions_)
    if (region.address) ::munmap(reinterpret_cast<void*>(region.address), region.vma.size());
  released_ = true;
}

std::vector<CowRegionUse> CowRegions::uses_of(int32_t ns_pid) const {
  std::vector<CowRegionUse> uses;
  for (const auto& region : regions_) {
    bool sharer = std::find(region.sharers.begin(), region.sharers.end(), ns_pid) !=
                  region.sharers.end();
    if (region.owner == ns_pid || sharer)
      uses.push_back(
          {region.vma.start, region.vma.size(), region.address, region.owner == ns_pid});
  }
  return uses;
}

}  // namespace ckpt::restore
