#include "ckpt/mm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "ckpt/shmem.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proc/maps.h"
#include "common/proc/pagemap.h"
#include "common/proc/stat.h"
#include "common/ptrace/remote_memory.h"
#include "common/unique_fd.h"

namespace ckpt::dump {
namespace {

using proc::kPageSize;

records::VmaKind kind_of(const proc::MapEntry& map) {
  if (map.name == "[vdso]") return records::VmaKind::kVdso;
  if (map.name == "[vvar]") return records::VmaKind::kVvar;
  if (map.name == "[vvar_vclock]") return records::VmaKind::kVvarVclock;
  if (map.name == "[vsyscall]") return records::VmaKind::kVsyscall;
  if (map.inode != 0) return records::VmaKind::kFile;
  return records::VmaKind::kAnonymous;
}

void describe_file(pid_t pid, const proc::MapEntry& map, records::Vma& vma) {
  if (map.name.ends_with(" (deleted)") || map.name.rfind("/memfd:", 0) == 0 ||
      map.name.rfind("/SYSV", 0) == 0 || map.name.empty() || map.name[0] != '/')
    fail("process {}: mapping {:#x}-{:#x} of {} is not supported yet", pid, map.start, map.end,
         map.name.empty() ? "an unnamed file" : map.name);
  std::string link = fmt::format("/proc/{}/map_files/{:x}-{:x}", pid, map.start, map.end);
  struct stat st {};
  if (::stat(link.c_str(), &st) != 0) throw_errno("stat {} ({})", link, map.name);
  vma.dev = st.st_dev;
  vma.inode = st.st_ino;
  vma.file_size = st.st_size;
  vma.mtime_ns = st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
}

records::Vma vma_of(pid_t pid, const proc::MapEntry& map) {
  records::Vma vma;
  vma.start = map.start;
  vma.end = map.end;
  vma.prot = (map.read ? PROT_READ : 0) | (map.write ? PROT_WRITE : 0) | (map.exec ? PROT_EXEC : 0);
  vma.flags = (map.shared ? MAP_SHARED : MAP_PRIVATE) | (map.has_flag("gd") ? MAP_GROWSDOWN : 0);
  vma.offset = map.offset;
  vma.kind = is_shared_object_mapping(map) ? records::VmaKind::kSharedObject : kind_of(map);
  vma.name = map.name;
  if (vma.kind == records::VmaKind::kFile) describe_file(pid, map, vma);
  if (vma.kind == records::VmaKind::kAnonymous && map.shared)
    fail("process {}: shared anonymous memory at {:#x}-{:#x} is not supported yet", pid, map.start,
         map.end);
  return vma;
}

std::vector<uint64_t> read_auxv(pid_t pid) {
  std::string bytes = fs::read_file("/proc/" + std::to_string(pid) + "/auxv");
  std::vector<uint64_t> auxv(bytes.size() / 8);
  std::memcpy(auxv.data(), bytes.data(), auxv.size() * 8);
  return auxv;
}

// Memory faulted in up front: first-touch faults cost ~20 us per page on these machines.
class PopulatedBuffer {
 public:
  explicit PopulatedBuffer(size_t size) : size_(size) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) throw_errno("mmap {} bytes", size);
    data_ = static_cast<char*>(p);
  }
  ~PopulatedBuffer() { ::munmap(data_, size_); }
  PopulatedBuffer(const PopulatedBuffer&) = delete;
  PopulatedBuffer& operator=(const PopulatedBuffer&) = delete;
  char* data() const { return data_; }

 private:
  char* data_;
  size_t size_;
};

bool all_zero(const char* page) {
  static const char zeros[kPageSize] = {};
  return std::memcmp(page, zeros, kPageSize) == 0;
}

// Reads batches of page runs and writes the pages worth keeping to the stream.
class PageCollector {
 public:
  PageCollector(pid_t pid, image::ImageWriter::Stream& out)
      : pid_(pid), out_(out), buffer_(kBatchBytes) {}

  void add(uint64_t start, uint64_t pages, bool skip_zero) {
    while (pages) {
      uint64_t take = std::min<uint64_t>(pages, (kBatchBytes - queued_) / kPageSize);
      queue_.push_back({reinterpret_cast<void*>(start), take * kPageSize});
      skip_zero_.push_back(skip_zero);
      queued_ += take * kPageSize;
      start += take * kPageSize;
      pages -= take;
      if (queued_ == kBatchBytes) flush();
    }
  }

  records::Pagemap finish() {
    flush();
    return std::move(map_);
  }

 private:
  static constexpr size_t kBatchBytes = 32u << 20;

  void flush() {
    if (queue_.empty()) return;
    ptrace::read_ranges(pid_, queue_, buffer_.data());
    const char* at = buffer_.data();
    for (size_t i = 0; i < queue_.size(); ++i) {
      uint64_t address = reinterpret_cast<uint64_t>(queue_[i].iov_base);
      for (size_t off = 0; off < queue_[i].iov_len; off += kPageSize, at += kPageSize)
        if (!skip_zero_[i] || !all_zero(at)) keep(address + off, at);
    }
    write_pending();
    queue_.clear();
    skip_zero_.clear();
    queued_ = 0;
  }

  // Consecutive kept pages are consecutive in the buffer too, so they go out in one write.
  void keep(uint64_t address, const char* page) {
    auto& runs = map_.runs;
    if (!runs.empty() && runs.back().start + runs.back().pages * kPageSize == address &&
        pending_ + pending_size_ == page) {
      ++runs.back().pages;
      pending_size_ += kPageSize;
      return;
    }
    write_pending();
    if (!runs.empty() && runs.back().start + runs.back().pages * kPageSize == address)
      ++runs.back().pages;
    else
      runs.push_back({address, 1});
    pending_ = page;
    pending_size_ = kPageSize;
  }

  void write_pending() {
    if (pending_size_) out_.write(pending_, pending_size_);
    pending_size_ = 0;
  }

  pid_t pid_;
  image::ImageWriter::Stream& out_;
  PopulatedBuffer buffer_;
  std::vector<iovec> queue_;
  std::vector<bool> skip_zero_;
  size_t queued_ = 0;
  const char* pending_ = nullptr;
  size_t pending_size_ = 0;
  records::Pagemap map_;
};

}  // namespace

records::MmState collect_mm(pid_t pid) {
  records::MmState mm;
  for (const auto& map : proc::read_smaps(pid)) mm.vmas.push_back(vma_of(pid, map));
  proc::Stat stat = proc::read_stat(pid);
  auto& f = mm.fields;
  f.start_code = stat.start_code;
  f.end_code = stat.end_code;
  f.start_data = stat.start_data;
  f.end_data = stat.end_data;
  f.start_brk = stat.start_brk;
  f.start_stack = stat.start_stack;
  f.arg_start = stat.arg_start;
  f.arg_end = stat.arg_end;
  f.env_start = stat.env_start;
  f.env_end = stat.env_end;
  f.auxv = read_auxv(pid);
  std::error_code ec;
  f.exe_path = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  return mm;
}

records::Pagemap dump_pages(pid_t pid, const records::MmState& mm,
                            image::ImageWriter::Stream& out) {
  std::string path = "/proc/" + std::to_string(pid) + "/pagemap";
  UniqueFd pagemap(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!pagemap) throw_errno("open {}", path);
  PageCollector collector(pid, out);
  for (const auto& vma : mm.vmas) {
    bool anonymous = vma.kind == records::VmaKind::kAnonymous;
    bool file = vma.kind == records::VmaKind::kFile || vma.kind == records::VmaKind::kSharedObject;
    if ((!anonymous && !file) || (vma.flags & MAP_SHARED)) continue;
    if (!(vma.prot & PROT_READ)) continue;  // guard pages; never written
    proc::for_each_saved_run(
        pagemap.get(), vma.start, vma.end,
        anonymous ? proc::PageKind::kAnonymous : proc::PageKind::kPrivateFile,
        [&](uint64_t start, uint64_t pages) { collector.add(start, pages, anonymous); });
  }
  return collector.finish();
}

}  // namespace ckpt::dump
