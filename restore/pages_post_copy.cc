#include "restore/pages_post_copy.h"

#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <array>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <span>
#include <thread>

#include "common/cancel.h"
#include "common/error.h"
#include "common/log.h"
#include "common/proc/pagemap.h"
#include "restore/pages.h"

namespace ckpt::restore {
namespace {

using proc::kPageSize;

constexpr uint64_t kSliceBytes = 256u << 10;  // copied between two looks at the faults
constexpr size_t kMessagesPerRead = 64;
// How long a pending page may fail to be copied (no VMA there) before it is given up: an mremap
// or munmap may have taken its VMA with the event that tells us not yet queued.
constexpr auto kGraceForEvents = std::chrono::milliseconds(200);

// Pages still to copy, by their address in the process now: where they were dumped (the held
// pages' address) and how many bytes. An mremap moves them; munmap or MADV_DONTNEED drops them.
struct Piece {
  uint64_t original = 0;
  uint64_t size = 0;
};
using Pending = std::map<uint64_t, Piece>;

// Splits the pieces so that none crosses `at`.
void split_at(Pending& pending, uint64_t at) {
  auto after = pending.upper_bound(at);
  if (after == pending.begin()) return;
  auto it = std::prev(after);
  uint64_t start = it->first;
  Piece& piece = it->second;
  if (start >= at || start + piece.size <= at) return;
  uint64_t head = at - start;
  pending.emplace(at, Piece{piece.original + head, piece.size - head});
  piece.size = head;
}

// The pieces inside [start, end), taken out of `pending`.
Pending take_range(Pending& pending, uint64_t start, uint64_t end) {
  split_at(pending, start);
  split_at(pending, end);
  Pending taken;
  auto first = pending.lower_bound(start), last = pending.lower_bound(end);
  taken.insert(first, last);
  pending.erase(first, last);
  return taken;
}

// One restored process's userfaultfd (or a forked child's) and what is left to copy into it.
struct Served {
  UniqueFd fd;
  uint64_t image_id = 0;
  Pending pending;              // held (or arrived) pages to copy
  Pending remote;               // pages not arrived yet
  Pending wiped;                // VMAs a fork leaves empty in the child (MADV_WIPEONFORK)
  std::vector<uint64_t> retry;  // faults to answer again (the mm was changing)
  uint64_t failing = UINT64_MAX;  // the pending page the fill cannot copy, since `failing_since`
  std::chrono::steady_clock::time_point failing_since;
};

// The errno of a userfaultfd ioctl, 0 on success; `copied` (for UFFDIO_COPY) the bytes done.
int uffd_copy(int fd, uint64_t address, const std::byte* data, uint64_t size, uint64_t& copied) {
  uffdio_copy request{};
  request.dst = address;
  request.src = reinterpret_cast<uint64_t>(data);
  request.len = size;
  if (::ioctl(fd, UFFDIO_COPY, &request) == 0) {
    copied = size;
    return 0;
  }
  int error = errno;
  copied = request.copy > 0 ? static_cast<uint64_t>(request.copy) : 0;
  return error;
}

int uffd_zeropage(int fd, uint64_t address) {
  uffdio_zeropage request{};
  request.range = {address, kPageSize};
  return ::ioctl(fd, UFFDIO_ZEROPAGE, &request) == 0 ? 0 : errno;
}

void uffd_wake(int fd, uint64_t address) {
  uffdio_range range{address, kPageSize};
  if (::ioctl(fd, UFFDIO_WAKE, &range) != 0)
    spdlog::debug("post-copy: UFFDIO_WAKE {:#x}: {}", address, strerror(errno));
}

// Pages that arrived for a process, by their dumped address.
using Arrived = std::map<uint64_t, std::vector<std::byte>>;

struct Arrival {
  uint64_t image_id = 0;
  uint64_t address = 0;
  std::vector<std::byte> pages;
};

// The pieces of `remote` whose dumped addresses overlap [start, end), as (address now, dumped
// address, bytes).
std::vector<std::array<uint64_t, 3>> overlapping(const Pending& remote, uint64_t start,
                                                 uint64_t end) {
  std::vector<std::array<uint64_t, 3>> found;
  for (const auto& [at, piece] : remote) {
    uint64_t from = std::max(start, piece.original), to = std::min(end, piece.original + piece.size);
    if (from < to) found.push_back({at + (from - piece.original), from, to - from});
  }
  return found;
}

}  // namespace

struct PostCopy::State {
  State(const HeldPages& held, Fetch fetch) : held(held), fetch(std::move(fetch)) {
    wake = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake) throw_errno("eventfd");
  }

  const HeldPages& held;
  Fetch fetch;
  UniqueFd wake;  // the thread looks at `incoming`, `filling` and `stop` when it is written
  std::thread thread;
  std::atomic<uint64_t> filled = 0;

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Served> incoming;
  std::vector<Arrival> arrivals;
  bool filling = false;
  bool stop = false;
  bool done = false;
  std::string failure;

  // The thread's own.
  std::list<Served> served;
  std::map<uint64_t, Arrived> arrived;                // by image process
  std::set<std::pair<uint64_t, uint64_t>> requested;  // (image process, dumped page) fetched

  void notify() {
    uint64_t one = 1;
    (void)!::write(wake.get(), &one, sizeof one);
  }

  void run() {
    try {
      serve();
    } catch (const std::exception& e) {
      spdlog::error("post-copy: serving the restored processes' memory failed: {}", e.what());
      std::lock_guard lock(mutex);
      failure = e.what();
      done = true;
      changed.notify_all();
      return;  // the userfaultfds stay open: faults wait rather than read zeros
    }
    served.clear();  // closing the userfaultfds
    {
      std::lock_guard lock(mutex);
      done = true;
    }
    changed.notify_all();
  }

  void serve() {
    for (;;) {
      bool fill = false;
      std::vector<Arrival> came;
      {
        std::lock_guard lock(mutex);
        if (stop) return;
        for (auto& s : incoming) served.push_back(std::move(s));
        incoming.clear();
        came.swap(arrivals);
        fill = filling;
      }
      for (auto& arrival : came) take_arrival(std::move(arrival));
      wait_for_events(/*block=*/!fill && !has_retries());
      for (auto& s : served) answer_retries(s);
      if (!fill) continue;
      if (!has_work()) {  // the events were read just now: no fork brings more
        spdlog::info("post-copy: every page is in ({} MiB filled in the background)",
                     filled.load() >> 20);
        return;
      }
      fill_slice();
    }
  }

  bool has_retries() const {
    for (const auto& s : served)
      if (!s.retry.empty()) return true;
    return false;
  }

  bool has_work() const {
    for (const auto& s : served)
      if (!s.pending.empty() || !s.remote.empty() || !s.retry.empty()) return true;
    return false;
  }

  // Arrived pages go where they are still missing, at once: threads may wait on them.
  void take_arrival(Arrival a) {
    uint64_t end = a.address + a.pages.size();
    for (auto& s : served) {
      if (s.image_id != a.image_id) continue;
      for (auto [at, original, size] : overlapping(s.remote, a.address, end)) {
        take_range(s.remote, at, at + size);
        s.pending.emplace(at, Piece{original, size});
      }
    }
    arrived[a.image_id][a.address] = std::move(a.pages);
    for (auto& s : served) {
      if (s.image_id != a.image_id) continue;
      for (auto [at, original, size] : overlapping(s.pending, a.address, end)) {
        uint64_t stop = at + size;
        while (at < stop && fill_at(s, at, stop - at)) {
          auto next = s.pending.lower_bound(at);  // what is left of it
          at = next == s.pending.end() ? stop : std::min(stop, next->first);
        }
      }
    }
  }

  // Polls the userfaultfds (and our eventfd) and handles what they report; with `block`, waits
  // until something comes.
  void wait_for_events(bool block) {
    std::vector<pollfd> fds{{wake.get(), POLLIN, 0}};
    std::vector<Served*> of_fd{nullptr};
    for (auto& s : served) {
      fds.push_back({s.fd.get(), POLLIN, 0});
      of_fd.push_back(&s);
    }
    int ready = ::poll(fds.data(), fds.size(), block ? -1 : 0);
    if (ready < 0) {
      if (errno == EINTR) return;
      throw_errno("poll the userfaultfds");
    }
    if (fds[0].revents) {
      uint64_t count = 0;
      (void)!::read(wake.get(), &count, sizeof count);
    }
    for (size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents & POLLIN) read_messages(*of_fd[i]);
  }

  void read_messages(Served& s) {
    uffd_msg messages[kMessagesPerRead];
    for (;;) {
      ssize_t n = ::read(s.fd.get(), messages, sizeof messages);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return;
        throw_errno("read a userfaultfd");
      }
      for (ssize_t i = 0; i < n / static_cast<ssize_t>(sizeof(uffd_msg)); ++i)
        handle(s, messages[i]);
      if (n < static_cast<ssize_t>(sizeof messages)) return;
    }
  }

  void handle(Served& s, const uffd_msg& m) {
    switch (m.event) {
      case UFFD_EVENT_PAGEFAULT:
        answer_fault(s, m.arg.pagefault.address & ~(kPageSize - 1));
        break;
      case UFFD_EVENT_FORK: {
        // The child has the parent's registered VMAs; what is missing in one is in the other.
        Served child;
        child.fd = UniqueFd(static_cast<int>(m.arg.fork.ufd));
        child.image_id = s.image_id;
        child.pending = s.pending;
        child.remote = s.remote;
        child.wiped = s.wiped;
        for (const auto& [at, piece] : s.wiped) {  // zeros in the child: nothing to copy
          take_range(child.pending, at, at + piece.size);
          take_range(child.remote, at, at + piece.size);
        }
        spdlog::debug("post-copy: a fork of process {}: its child is served too", s.image_id);
        served.push_back(std::move(child));
        break;
      }
      case UFFD_EVENT_REMAP: {
        spdlog::debug("post-copy: process {}: {:#x} moved to {:#x} ({} KiB)", s.image_id,
                      static_cast<uint64_t>(m.arg.remap.from), static_cast<uint64_t>(m.arg.remap.to),
                      m.arg.remap.len >> 10);
        for (Pending* map : {&s.pending, &s.remote, &s.wiped}) {
          auto moved = take_range(*map, m.arg.remap.from, m.arg.remap.from + m.arg.remap.len);
          for (auto& [at, piece] : moved) (*map)[at - m.arg.remap.from + m.arg.remap.to] = piece;
        }
        break;
      }
      case UFFD_EVENT_REMOVE:
      case UFFD_EVENT_UNMAP:
        spdlog::debug("post-copy: process {}: {:#x}-{:#x} {}", s.image_id,
                      static_cast<uint64_t>(m.arg.remove.start),
                      static_cast<uint64_t>(m.arg.remove.end),
                      m.event == UFFD_EVENT_REMOVE ? "removed" : "unmapped");
        take_range(s.pending, m.arg.remove.start, m.arg.remove.end);
        take_range(s.remote, m.arg.remove.start, m.arg.remove.end);
        if (m.event == UFFD_EVENT_UNMAP) take_range(s.wiped, m.arg.remove.start, m.arg.remove.end);
        break;
      default:
        spdlog::debug("post-copy: userfaultfd event {} ignored", static_cast<int>(m.event));
    }
  }

  // The piece of `map` holding `address` (end: none does).
  static Pending::const_iterator piece_at(const Pending& map, uint64_t address) {
    auto after = map.upper_bound(address);
    if (after == map.begin()) return map.end();
    auto it = std::prev(after);
    return it->first + it->second.size > address ? it : map.end();
  }

  // The bytes pending at `address` now (held or arrived), at most `size`; empty: none.
  std::span<const std::byte> held_at(const Served& s, uint64_t address, uint64_t size) const {
    auto it = piece_at(s.pending, address);
    if (it == s.pending.end()) return {};
    size = std::min(size, it->first + it->second.size - address);
    uint64_t original = it->second.original + (address - it->first);
    // Arrived pages first: the held copy of such a page (if any) is older.
    auto pages = arrived.find(s.image_id);
    if (pages != arrived.end()) {
      auto after = pages->second.upper_bound(original);
      if (after != pages->second.begin()) {
        const auto& [start, data] = *std::prev(after);
        if (start + data.size() > original)
          return std::span(data).subspan(original - start).first(
              std::min<uint64_t>(size, start + data.size() - original));
      }
    }
    return held.piece(s.image_id, original, size);
  }

  void answer_fault(Served& s, uint64_t address) {
    auto remote = piece_at(s.remote, address);
    if (remote != s.remote.end()) {  // answered when it arrives
      uint64_t original = remote->second.original + (address - remote->first);
      if (requested.insert({s.image_id, original}).second) fetch(s.image_id, original);
      return;
    }
    auto page = held_at(s, address, kPageSize);
    uint64_t copied = 0;
    int error = page.empty() ? uffd_zeropage(s.fd.get(), address)
                             : uffd_copy(s.fd.get(), address, page.data(), kPageSize, copied);
    if (error == EAGAIN) {
      s.retry.push_back(address);  // events of the mm are to be read first
    } else if (error != 0) {
      if (error != EEXIST)
        spdlog::debug("post-copy: fault at {:#x}: {}", address, strerror(error));
      uffd_wake(s.fd.get(), address);  // the page is there (the fill was quicker), or gone
    }
  }

  void answer_retries(Served& s) {
    auto retry = std::move(s.retry);
    s.retry.clear();
    for (uint64_t address : retry) answer_fault(s, address);
  }

  // Copies the next slice of pending pages (faulting threads in it are woken).
  void fill_slice() {
    fault_point("post-copy:fill");
    for (auto& s : served)
      if (!s.pending.empty()) {
        fill_at(s, s.pending.begin()->first, kSliceBytes);
        return;
      }
  }

  // Copies pending pages at `address`, at most `max` bytes; false when it made no progress.
  bool fill_at(Served& s, uint64_t address, uint64_t max) {
    auto data = held_at(s, address, max);
    if (data.empty()) {  // not held after all: nothing to copy
      take_range(s.pending, address, address + kPageSize);
      return true;
    }
    uint64_t copied = 0, skip = 0;
    int error = uffd_copy(s.fd.get(), address, data.data(), data.size(), copied);
    if (error == EAGAIN && copied == 0) return false;  // the mm is changing: events first
    if (error == ESRCH) {                         // the process is gone
      s.pending.clear();
      s.remote.clear();
      return true;
    }
    if (error == EEXIST) {
      skip = kPageSize;  // already there: a fault was quicker
    } else if (error != 0 && error != EAGAIN) {  // no VMA there: an event may be on its way
      auto now = std::chrono::steady_clock::now();
      if (s.failing != address) {
        s.failing = address;
        s.failing_since = now;
        return false;
      }
      if (now - s.failing_since < kGraceForEvents) return false;
      spdlog::debug("post-copy: page {:#x} given up: {}", address, strerror(error));
      skip = kPageSize;
    }
    filled += copied;
    take_range(s.pending, address, address + copied + skip);
    return true;
  }
};

PostCopy::PostCopy(const HeldPages& held, Fetch fetch)
    : state_(std::make_unique<State>(held, std::move(fetch))) {
  state_->thread = std::thread([s = state_.get()] { s->run(); });
}

PostCopy::~PostCopy() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stop = true;
  }
  state_->notify();
  state_->thread.join();
}

void PostCopy::adopt(UniqueFd uffd, uint64_t image_id, std::vector<records::PageRun> pending,
                     std::vector<records::PageRun> remote,
                     std::vector<records::PageRun> wiped_on_fork) {
  Served s;
  s.fd = std::move(uffd);
  s.image_id = image_id;
  for (const auto& run : pending)
    s.pending.emplace(run.start, Piece{run.start, run.pages * kPageSize});
  for (const auto& run : remote)
    s.remote.emplace(run.start, Piece{run.start, run.pages * kPageSize});
  for (const auto& run : wiped_on_fork)
    s.wiped.emplace(run.start, Piece{run.start, run.pages * kPageSize});
  {
    std::lock_guard lock(state_->mutex);
    if (state_->done) fail("post-copy: serving stopped: {}", state_->failure);
    state_->incoming.push_back(std::move(s));
  }
  state_->notify();
}

void PostCopy::arrived(uint64_t image_id, uint64_t address, std::span<const std::byte> pages) {
  {
    std::lock_guard lock(state_->mutex);
    state_->arrivals.push_back({image_id, address, {pages.begin(), pages.end()}});
  }
  state_->notify();
}

void PostCopy::start_filling() {
  {
    std::lock_guard lock(state_->mutex);
    state_->filling = true;
  }
  state_->notify();
}

bool PostCopy::wait_filled(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  if (!state_->changed.wait_for(lock, timeout, [&] { return state_->done; })) return false;
  if (!state_->failure.empty()) fail("post-copy: {}", state_->failure);
  return true;
}

uint64_t PostCopy::bytes_filled() const {
  return state_->filled.load();
}

}  // namespace ckpt::restore
