#include "ckpt/mm.h"

#include <fcntl.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "ckpt/aio.h"
#include "ckpt/pages.h"
#include "ckpt/pages_pool.h"
#include "ckpt/shmem.h"
#include "common/cancel.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/fs.h"
#include "common/proc/key_value.h"
#include "common/log.h"
#include "common/proc/maps.h"
#include "common/proc/pagemap.h"
#include "common/proc/stat.h"
#include "common/ptrace/remote_syscall.h"
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
    fail(ErrorKind::kRefused, "process {}: mapping {:#x}-{:#x} of {} is not supported yet", pid,
         map.start, map.end, map.name.empty() ? "an unnamed file" : map.name);
  std::string link = fmt::format("/proc/{}/map_files/{:x}-{:x}", pid, map.start, map.end);
  struct stat st {};
  if (::stat(link.c_str(), &st) != 0) throw_errno("stat {} ({})", link, map.name);
  vma.dev = st.st_dev;
  vma.inode = st.st_ino;
  vma.file_size = st.st_size;
  vma.mtime_ns = st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
}

// smaps VmFlags words of the madvise(2) advice kept in records::Vma::advice.
constexpr std::pair<const char*, uint32_t> kAdviceWords[] = {
    {"dc", records::kAdviceDontFork},  {"dd", records::kAdviceDontDump},
    {"hg", records::kAdviceHugePage},  {"nh", records::kAdviceNoHugePage},
    {"mg", records::kAdviceMergeable}, {"wf", records::kAdviceWipeOnFork},
};

constexpr uint32_t kMapDroppable = 0x08;  // MAP_DROPPABLE: pages dropped under memory pressure

uint32_t advice_of(const proc::MapEntry& map) {
  uint32_t advice = 0;
  for (const auto& [word, bit] : kAdviceWords)
    if (map.has_flag(word)) advice |= bit;
  return advice;
}

records::Vma vma_of(pid_t pid, const proc::MapEntry& map) {
  records::Vma vma;
  vma.start = map.start;
  vma.end = map.end;
  vma.prot = (map.read ? PROT_READ : 0) | (map.write ? PROT_WRITE : 0) | (map.exec ? PROT_EXEC : 0);
  uint32_t type = map.shared ? MAP_SHARED : map.has_flag("dp") ? kMapDroppable : MAP_PRIVATE;
  vma.flags = type | (map.has_flag("gd") ? MAP_GROWSDOWN : 0) |
              (map.has_flag("lo") ? MAP_LOCKED : 0) | (map.has_flag("nr") ? MAP_NORESERVE : 0);
  vma.sealed = map.has_flag("sl");
  vma.offset = map.offset;
  vma.may_write = map.has_flag("mw");
  vma.kind = is_aio_ring(map)                   ? records::VmaKind::kAioRing
              : is_shared_object_mapping(map) ? records::VmaKind::kSharedObject
                                              : kind_of(map);
  vma.name = map.name;
  if (!records::is_kernel_made(vma.kind)) vma.advice = advice_of(map);
  if (vma.kind == records::VmaKind::kFile) describe_file(pid, map, vma);
  if (vma.kind == records::VmaKind::kAioRing) describe_aio_ring(pid, vma);
  if (vma.kind == records::VmaKind::kAnonymous && map.shared)
    fail(ErrorKind::kRefused,
         "process {}: shared anonymous memory at {:#x}-{:#x} is not supported yet", pid, map.start,
         map.end);
  return vma;
}

std::vector<uint64_t> read_auxv(pid_t pid) {
  std::string bytes = fs::read_file("/proc/" + std::to_string(pid) + "/auxv");
  std::vector<uint64_t> auxv(bytes.size() / 8);
  std::memcpy(auxv.data(), bytes.data(), auxv.size() * 8);
  return auxv;
}

// Reads batches of page runs into one pre-faulted buffer and writes the pages worth keeping.
class PageCollector {
 public:
  PageCollector(pid_t pid, image::ImageWriter::Stream& out, const ParentPages* parent)
      : reader_(pid), writer_(out, parent), pool_(kBatchPages * kPageSize) {
    uint64_t got = 0;
    buffer_ = pool_.take(kBatchPages, got);
  }

  void add(const SavedRun& run) {
    for (uint64_t done = 0; done < run.pages;) {
      uint64_t take = std::min(run.pages - done, kBatchPages - queued_);
      queue_.push_back(
          {run.start + done * kPageSize, take, buffer_ + queued_ * kPageSize, run.skip_zero});
      queued_ += take;
      done += take;
      if (queued_ == kBatchPages) flush();
    }
  }

  records::Pagemap finish() {
    flush();
    return writer_.finish();
  }

 private:
  // One stream chunk per batch: reading and compressing on the pool alternate finely.
  static constexpr uint64_t kBatchPages = (4u << 20) / kPageSize;

  void flush() {
    throw_if_cancelled();
    reader_.read(queue_, false);
    for (const auto& extent : queue_) writer_.keep_extent(extent);
    writer_.flush();
    queue_.clear();
    queued_ = 0;
  }

  PageReader reader_;
  PageStreamWriter writer_;
  PagePool pool_;
  char* buffer_ = nullptr;
  std::vector<PageCopy> queue_;
  uint64_t queued_ = 0;
};

// The VmFlags words vma_of reads, as `vma` holds them.
std::vector<std::string> vm_flag_words(const records::Vma& vma) {
  std::vector<std::string> words;
  if (vma.flags & MAP_GROWSDOWN) words.push_back("gd");
  if (vma.flags & MAP_LOCKED) words.push_back("lo");
  if (vma.flags & MAP_NORESERVE) words.push_back("nr");
  if ((vma.flags & MAP_TYPE) == kMapDroppable) words.push_back("dp");
  if (vma.may_write) words.push_back("mw");
  if (vma.sealed) words.push_back("sl");
  for (const auto& [word, bit] : kAdviceWords)
    if (vma.advice & bit) words.push_back(word);
  return words;
}

bool same_mapping(const proc::MapEntry& map, const records::Vma& vma) {
  int prot = (map.read ? PROT_READ : 0) | (map.write ? PROT_WRITE : 0) | (map.exec ? PROT_EXEC : 0);
  return map.start == vma.start && map.end == vma.end && prot == static_cast<int>(vma.prot) &&
         map.shared == ((vma.flags & MAP_SHARED) != 0) && map.offset == vma.offset &&
         map.name == vma.name;
}

// The VMAs with the VmFlags we use. smaps walks every page table (~0.15 s per GiB on a busy
// machine), so when `earlier` (read from smaps a moment ago) holds each mapping of the cheap
// maps listing unchanged, the flags come from there instead.
std::vector<proc::MapEntry> read_vmas(pid_t pid, const records::MmState* earlier) {
  if (!earlier) return proc::read_smaps(pid);
  auto maps = proc::read_maps(pid);
  size_t at = 0;
  for (auto& map : maps) {
    while (at < earlier->vmas.size() && earlier->vmas[at].end <= map.start) ++at;
    if (at == earlier->vmas.size() || !same_mapping(map, earlier->vmas[at]))
      return proc::read_smaps(pid);
    map.vm_flags = vm_flag_words(earlier->vmas[at]);
  }
  return maps;
}

// Where a file mapping stops having pages: past the page holding the file's end, the kernel
// sends SIGBUS (EIO to readers of /proc/PID/mem) and holds nothing, not even a private copy
// (truncate drops those too). The mapping itself stays as it is.
uint64_t file_end(const records::Vma& vma) {
  uint64_t size = (vma.file_size + kPageSize - 1) / kPageSize * kPageSize;
  return size <= vma.offset ? vma.start : vma.start + (size - vma.offset);
}

// The guard regions (MADV_GUARD_INSTALL) of the private VMAs: markers in page tables, no VMA.
std::vector<records::AddressRange> find_guard_regions(pid_t pid, const records::MmState& mm) {
  UniqueFd pagemap = proc::open_pagemap(pid);
  std::vector<records::AddressRange> guards;
  for (const auto& vma : mm.vmas) {
    if (vma.flags & MAP_SHARED) continue;
    if (vma.kind != records::VmaKind::kAnonymous && vma.kind != records::VmaKind::kFile) continue;
    for (const auto& r : proc::guard_regions(pagemap.get(), vma.start, vma.end))
      guards.push_back({r.start, r.end});
  }
  return guards;
}

}  // namespace

records::MmState collect_mm(pid_t pid, const records::MmState* earlier) {
  records::MmState mm;
  for (const auto& map : read_vmas(pid, earlier)) mm.vmas.push_back(vma_of(pid, map));
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
  mm.guard_regions = find_guard_regions(pid, mm);
  return mm;
}

namespace {

// With mlockall(MCL_FUTURE) in force the kernel locked the injection's scratch area as it mapped
// it: the process has more locked memory (VmLck) than its locked VMAs (read before) hold.
bool locks_future_mappings(pid_t pid, const records::MmState& mm) {
  uint64_t locked_vmas = 0;
  for (const auto& vma : mm.vmas)
    if (vma.flags & MAP_LOCKED) locked_vmas += vma.size();
  for (const auto& [key, value] :
       proc::key_value_lines(fs::read_file("/proc/" + std::to_string(pid) + "/status")))
    if (key == "VmLck") return std::stoull(value) * 1024 > locked_vmas;
  return false;
}

}  // namespace

void collect_mm_settings(ptrace::RemoteSyscall& call, records::MmState& mm) {
  mm.lock_future = locks_future_mappings(call.tid(), mm);
  constexpr int kPrGetMdwe = 66;
  mm.mdwe = static_cast<uint32_t>(std::max(0L, call.call(SYS_prctl, kPrGetMdwe, 0, 0, 0, 0)));
  mm.thp_disable = static_cast<int32_t>(call.checked("prctl(PR_GET_THP_DISABLE)", SYS_prctl,
                                                     PR_GET_THP_DISABLE, 0, 0, 0, 0));
  constexpr int kPrGetMemoryMerge = 68;
  mm.memory_merge = call.call(SYS_prctl, kPrGetMemoryMerge, 0, 0, 0, 0) > 0;  // EINVAL: no KSM
  // A private expedited barrier fails with EPERM until the mm registered for it; with every
  // thread stopped it interrupts no CPU. No call shows a GLOBAL_EXPEDITED registration.
  long supported = call.call(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
  constexpr std::pair<int, uint32_t> kProbes[] = {
      {MEMBARRIER_CMD_PRIVATE_EXPEDITED, records::kMembarrierPrivateExpedited},
      {MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, records::kMembarrierPrivateExpeditedSyncCore},
      {MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, records::kMembarrierPrivateExpeditedRseq},
  };
  for (const auto& [command, bit] : kProbes)
    if (supported > 0 && (supported & command) && call.call(SYS_membarrier, command, 0, 0) == 0)
      mm.membarrier |= bit;
}

namespace {

// `runs` without the pages in `shared` (both ascending).
std::vector<SavedRun> without_shared(const std::vector<SavedRun>& runs,
                                     const std::vector<records::AddressRange>& shared) {
  std::vector<SavedRun> out;
  auto next = shared.begin();
  for (const auto& run : runs) {
    uint64_t at = run.start, end = run.start + run.pages * kPageSize;
    while (next != shared.end() && next->end <= at) ++next;
    for (auto s = next; s != shared.end() && s->start < end && at < end; ++s) {
      if (s->start > at) out.push_back({at, (s->start - at) / kPageSize, run.skip_zero});
      at = std::max(at, s->end);
    }
    if (at < end) out.push_back({at, (end - at) / kPageSize, run.skip_zero});
  }
  return out;
}

}  // namespace

std::vector<SavedRun> saved_runs(pid_t pid, const records::MmState& mm) {
  UniqueFd pagemap = proc::open_pagemap(pid);
  std::vector<SavedRun> runs;
  for (const auto& vma : mm.vmas) {
    bool anonymous = vma.kind == records::VmaKind::kAnonymous;
    bool file = vma.kind == records::VmaKind::kFile || vma.kind == records::VmaKind::kSharedObject;
    if ((!anonymous && !file) || (vma.flags & MAP_SHARED)) continue;
    uint64_t end = vma.kind == records::VmaKind::kFile ? std::min(vma.end, file_end(vma)) : vma.end;
    // A VMA without PROT_READ is listed too: a guard costs nothing (it has no pages), and memory
    // written before an mprotect(PROT_NONE) keeps its pages (read through /proc/PID/mem).
    if (end <= vma.start) continue;
    proc::for_each_saved_run(pagemap.get(), vma.start, end,
                             anonymous ? proc::PageKind::kAnonymous : proc::PageKind::kPrivateFile,
                             [&](uint64_t start, uint64_t pages) {
                               runs.push_back({start, pages, anonymous});
                             });
  }
  return mm.shared_with_parent.empty() ? runs : without_shared(runs, mm.shared_with_parent);
}

records::Pagemap dump_pages(pid_t pid, const records::MmState& mm,
                            image::ImageWriter::Stream& out, const ParentPages* parent) {
  PageCollector collector(pid, out, parent);
  for (const auto& run : saved_runs(pid, mm)) collector.add(run);
  return collector.finish();
}

}  // namespace ckpt::dump
