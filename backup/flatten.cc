#include "backup/flatten.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "common/cancel.h"
#include "common/chain/identity.h"
#include "common/chain/image_chain.h"
#include "common/chain/page_hash.h"
#include "common/chain/page_sources.h"
#include "common/chain/trees.h"
#include "common/error.h"
#include "common/image/signing.h"
#include "common/tree_pack.h"
#include "common/records/lineage.h"
#include "common/records/mounts.h"
#include "common/records/tree.h"

namespace ckpt::backup {
namespace {

using image::SectionType;

// Anonymous memory for one process's pages, faulted in as they are copied in.
class PageBuffer {
 public:
  explicit PageBuffer(uint64_t bytes) : size_(bytes) {
    if (!bytes) return;
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw_errno("mmap {} bytes for pages", bytes);
    data_ = static_cast<std::byte*>(p);
  }
  ~PageBuffer() {
    if (data_) ::munmap(data_, size_);
  }
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  std::byte* data() { return data_; }
  uint64_t size() const { return size_; }

 private:
  std::byte* data_ = nullptr;
  uint64_t size_ = 0;
};

// The pagemap of a full image with the same pages: every run stored, neighbours joined.
records::Pagemap all_stored(const records::Pagemap& pagemap) {
  records::Pagemap full;
  full.hashes = pagemap.hashes;
  for (const auto& run : pagemap.runs) {
    if (!full.runs.empty() && full.runs.back().end() == run.start)
      full.runs.back().pages += run.pages;
    else
      full.runs.push_back({run.start, run.pages, false});
  }
  return full;
}

// Where each address of `runs` lies in their stream.
class StreamOffsets {
 public:
  explicit StreamOffsets(const std::vector<records::PageRun>& runs) : runs_(runs) {
    uint64_t at = 0;
    for (const auto& run : runs) {
      offsets_.push_back(at);
      at += run.pages * chain::kPageBytes;
    }
  }
  // The stream offset of [address, address + size), which lies in one run.
  uint64_t of(uint64_t address, uint64_t size) const {
    auto it = std::upper_bound(runs_.begin(), runs_.end(), address,
                               [](uint64_t a, const records::PageRun& r) { return a < r.start; });
    if (it == runs_.begin() || address + size > std::prev(it)->end())
      fail("pages at {:#x} are outside the process's pagemap", address);
    size_t i = static_cast<size_t>(std::prev(it) - runs_.begin());
    return offsets_[i] + (address - runs_[i].start);
  }

 private:
  const std::vector<records::PageRun>& runs_;
  std::vector<uint64_t> offsets_;
};

// The pages of one process gathered from the chain into a full page stream and pagemap.
void write_process_pages(const chain::ImageChain& chain, const records::ProcessEntry& process,
                         image::ImageWriter& out) {
  auto id = static_cast<uint64_t>(process.host_pid);
  auto pagemap = chain.image().get<records::Pagemap>(SectionType::kPagemap, id);
  records::Pagemap full = all_stored(pagemap);
  PageBuffer buffer(chain::pages_bytes(full));
  StreamOffsets offsets(full.runs);
  for (const auto& source : chain::page_sources(chain, process.pid, id, pagemap)) {
    throw_if_cancelled();  // oldest first: later pages replace earlier ones
    chain::read_pages(source, [&](uint64_t address, std::span<const std::byte> bytes) {
      std::memcpy(buffer.data() + offsets.of(address, bytes.size()), bytes.data(), bytes.size());
    });
  }
  auto stream = out.open_stream(SectionType::kPages, id);
  stream->write(std::span<const std::byte>(buffer.data(), buffer.size()));
  stream->close();
  out.put(SectionType::kPagemap, id, full);
}

// Whether the tree stream (kMountData, id) keeps the data of some files in a parent.
bool tree_needs_parents(const image::ImageReader& image, uint64_t id) {
  for (const auto& [path, entry] : tree::read_file_index(image, SectionType::kMountData, id))
    if (entry.data_in_parent) return true;
  return false;
}

// A directory removed with its contents at scope exit.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& near) {
    std::string pattern = near + ".tree.XXXXXX";
    if (!::mkdtemp(pattern.data())) throw_errno("mkdtemp {}", pattern);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The tree of mount `m` whole: unpacked through the chain, packed again.
void write_whole_tree(const chain::ImageChain& chain, const records::MountRecord& m,
                      const std::string& output, image::ImageWriter& out) {
  ScratchDir scratch(output == "-" ? std::string("/tmp/ckpt-flatten") : output);
  chain::unpack_mount_tree(chain.image(), &chain, m, scratch.path());
  auto stream = out.open_stream(SectionType::kMountData, m.id);
  tree::pack_tree(scratch.path(), [](const std::string&) { return false; }, *stream);
  stream->close();
}

// The trees of the newest image that keep files in its parents, made whole.
std::set<uint64_t> write_whole_trees(const chain::ImageChain& chain, const std::string& output,
                                     image::ImageWriter& out) {
  std::set<uint64_t> written;
  const auto& newest = chain.image();
  if (!newest.has(SectionType::kMounts, 0)) return written;
  for (const auto& m : newest.get<records::MountNamespace>(SectionType::kMounts, 0).mounts) {
    if (!m.has_contents || !tree_needs_parents(newest, m.id)) continue;
    throw_if_cancelled();
    write_whole_tree(chain, m, output, out);
    written.insert(m.id);
  }
  return written;
}

// Every section of `image` but pages, pagemaps, lineage, the signature, the stream-order mark (the
// flattened image stores its pages with the records) and the trees in `skip_trees`, as it is.
void copy_records(const image::ImageReader& image, const std::set<uint64_t>& skip_trees,
                  image::ImageWriter& out) {
  std::map<std::pair<SectionType, uint64_t>, size_t> chunks;
  std::vector<std::pair<SectionType, uint64_t>> order;
  for (const auto& s : image.sections())
    if (chunks[{s.type, s.id}]++ == 0) order.emplace_back(s.type, s.id);
  static const std::set<SectionType> kRebuilt{SectionType::kPages, SectionType::kPagemap,
                                              SectionType::kLineage, SectionType::kSignature,
                                              SectionType::kStreamOrder};
  for (auto [type, id] : order) {
    if (kRebuilt.count(type) || (type == SectionType::kMountData && skip_trees.count(id)))
      continue;
    if (chunks[{type, id}] == 1) {
      out.put_bytes(type, id, image.get_bytes(type, id));
      continue;
    }
    auto stream = out.open_stream(type, id);
    image.read_stream(type, id, [&](std::span<const std::byte> chunk) { stream->write(chunk); });
    stream->close();
  }
}

}  // namespace

void flatten(const FlattenOptions& options) {
  CancelOnSignals cancel_on_signals;
  chain::ImageChain chain(options.input, options.parent_dir,
                          image::pick_signing_key(options.verify_key));
  chain.verify();
  const image::ImageReader& newest = chain.image();
  image::Header header = newest.header();
  header.format_version = image::kFormatVersion;
  image::WriterOptions writer_options;
  writer_options.zstd_level = options.zstd_level;
  writer_options.sign_key = image::pick_signing_key(options.sign_key).value_or("");
  image::ImageWriter out(options.output, header, writer_options);
  copy_records(newest, write_whole_trees(chain, options.output, out), out);
  auto tree = newest.get<records::ProcessTree>(SectionType::kProcessTree, 0);
  for (const auto& process : tree.processes)
    if (!process.zombie && newest.has(SectionType::kPagemap, static_cast<uint64_t>(process.host_pid)))
      write_process_pages(chain, process, out);
  records::Lineage lineage;
  lineage.self = chain.lineage().self;
  if (lineage.self.uuid.empty()) lineage.self.uuid = chain::new_uuid();
  out.put(SectionType::kLineage, 0, lineage);
  out.finish();
}

}  // namespace ckpt::backup
