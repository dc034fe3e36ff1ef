#include "ckpt/ttys.h"

#include <asm/termbits.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <map>

#include "common/console/console.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/proc/pidfd.h"
#include "common/proc/stat.h"
#include "common/records/ttys.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

namespace {

using records::FileKind;

constexpr unsigned kPtmxMajor = 5, kPtmxMinor = 2;
constexpr unsigned kSlaveMajorFirst = 136, kSlaveMajorLast = 143;  // UNIX98_PTY_SLAVE_MAJOR + 7

// /dev/tty: opened, it is the opener's controlling terminal; restored as that pty's slave.
bool is_dev_tty(dev_t rdev) {
  return major(rdev) == kPtmxMajor && minor(rdev) == 0;
}

bool is_slave(dev_t rdev) {
  return major(rdev) >= kSlaveMajorFirst && major(rdev) <= kSlaveMajorLast;
}

struct FdRef {
  pid_t pid = 0;
  int fd = 0;
};

// What the dumper learned of one pty: the record and an fd of it to ask, preferably the master.
struct Found {
  records::Pty pty;
  UniqueFd probe;
  bool probe_is_master = false;
};

class TtyCollector {
 public:
  explicit TtyCollector(const TtysContext& context) : context_(context) {
    container_pts_ = root_path("/dev/pts");
    struct stat own {
    }, host{};
    if (::stat(container_pts_.c_str(), &own) != 0) return;  // no /dev/pts: no ptys either
    has_own_devpts_ = ::stat("/dev/pts", &host) != 0 || own.st_dev != host.st_dev;
    devpts_dev_ = own.st_dev;
  }

  void add_files(const records::FilesState& files) {
    std::map<uint64_t, FdRef> refs;
    for (const auto& process : files.processes)
      for (const auto& entry : process.fds)
        refs.try_emplace(entry.description, FdRef{process.host_pid, entry.fd});
    for (const auto& d : files.descriptions) {
      if (d.kind != FileKind::kPtyMaster && d.kind != FileKind::kPtySlave) continue;
      auto ref = refs.find(d.id);
      if (ref == refs.end()) continue;
      add_file(d, ref->second);
    }
  }

  void add_controlling_ttys() {
    std::map<pid_t, pid_t> ns_pgid_of_host_pgrp;
    std::vector<std::pair<const records::ProcessEntry*, proc::Stat>> stats;
    for (const auto& entry : context_.tree->processes) {
      proc::Stat stat = proc::read_stat(entry.host_pid);
      ns_pgid_of_host_pgrp[stat.pgrp] = entry.pgid;
      stats.emplace_back(&entry, stat);
    }
    for (const auto& [entry, stat] : stats) {
      if (entry->zombie) continue;  // holds no terminal any more
      dev_t tty = static_cast<dev_t>(stat.tty_nr);
      if (stat.tty_nr == 0 || !is_slave(tty)) continue;
      Found& found =
          pty(slave_index(tty), "as controlling terminal of pid " + std::to_string(entry->pid));
      if (entry->pid != entry->sid) continue;
      found.pty.session = entry->pid;
      auto fg = ns_pgid_of_host_pgrp.find(stat.tpgid);
      if (fg != ns_pgid_of_host_pgrp.end()) found.pty.foreground = fg->second;
    }
  }

  void add_console() {
    auto index = console::read_pty_index(context_.state_dir);
    if (index) pty(*index, "as the console").pty.console = true;
  }

  records::TtysState finish() {
    records::TtysState state;
    state.files = std::move(files_);
    for (auto& [index, found] : ptys_) {
      read_settings(found);
      state.ptys.push_back(std::move(found.pty));
    }
    return state;
  }

 private:
  std::filesystem::path root_path(const std::string& path) const {
    return "/proc/" + std::to_string(context_.init_pid) + "/root" + path;
  }

  void add_file(const records::FileDescription& d, FdRef ref) {
    UniqueFd fd = proc::take_fd(ref.pid, ref.fd);
    bool master = d.kind == FileKind::kPtyMaster;
    int index = -1;
    if (master && ::ioctl(fd.get(), TIOCGPTN, &index) != 0)
      throw_errno("pid {} fd {}: ioctl(TIOCGPTN)", ref.pid, ref.fd);
    if (!master) index = slave_index_of(fd.get(), d, ref);
    files_.push_back({d.id, index, master});
    Found& found = pty(index, "pid " + std::to_string(ref.pid) + " fd " + std::to_string(ref.fd));
    if (!found.probe || (master && !found.probe_is_master)) {
      found.probe = std::move(fd);
      found.probe_is_master = master;
    }
  }

  // A slave of the container's devpts, or /dev/tty (then: the pty it stands for).
  int slave_index_of(int fd, const records::FileDescription& d, FdRef ref) const {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_errno("pid {} fd {}: fstat", ref.pid, ref.fd);
    if (is_dev_tty(st.st_rdev)) {
      unsigned tty = 0;
      if (::ioctl(fd, TIOCGDEV, &tty) != 0)
        throw_errno("pid {} fd {}: ioctl({}, TIOCGDEV)", ref.pid, ref.fd, d.path);
      if (!is_slave(static_cast<dev_t>(tty)))
        fail(ErrorKind::kRefused, "pid {} fd {}: {} is terminal {}:{}, not a pty", ref.pid, ref.fd,
             d.path, major(tty), minor(tty));
      return slave_index(static_cast<dev_t>(tty));
    }
    if (st.st_dev != devpts_dev_)
      fail(ErrorKind::kRefused, "pid {} fd {}: {} is not a pty of the container's own devpts",
           ref.pid, ref.fd, d.path);
    return slave_index(st.st_rdev);
  }

  Found& pty(int index, const std::string& who) {
    if (!has_own_devpts_)
      fail(ErrorKind::kRefused,
           "{}: pty {} is on the host's devpts; run the container with -t for one of its own", who,
           index);
    auto [it, added] = ptys_.try_emplace(index);
    it->second.pty.index = index;
    return it->second;
  }

  void read_settings(Found& found) {
    records::Pty& pty = found.pty;
    std::string slave = root_path("/dev/pts/" + std::to_string(pty.index));
    struct stat st {};
    if (::stat(slave.c_str(), &st) == 0) {
      pty.slave_mode = st.st_mode & 07777;
      pty.slave_uid = st.st_uid;
      pty.slave_gid = st.st_gid;
    }
    if (!found.probe)
      found.probe = UniqueFd(::open(slave.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
    if (!found.probe) throw_errno("open({}) to read its settings", slave);
    int fd = found.probe.get();
    termios2 t{};
    if (::ioctl(fd, TCGETS2, &t) != 0) throw_errno("pty {}: ioctl(TCGETS2)", pty.index);
    pty.termios = {t.c_iflag,  t.c_oflag, t.c_cflag,
                   t.c_lflag,  t.c_line,  std::vector<uint8_t>(t.c_cc, t.c_cc + NCCS),
                   t.c_ispeed, t.c_ospeed};
    winsize w{};
    if (::ioctl(fd, TIOCGWINSZ, &w) != 0) throw_errno("pty {}: ioctl(TIOCGWINSZ)", pty.index);
    pty.window = {w.ws_row, w.ws_col, w.ws_xpixel, w.ws_ypixel};
    if (!found.probe_is_master) return;
    int locked = 0, packet = 0;
    if (::ioctl(fd, TIOCGPTLCK, &locked) == 0) pty.locked = locked != 0;
    if (::ioctl(fd, TIOCGPKT, &packet) == 0) pty.packet_mode = packet != 0;
  }

  const TtysContext& context_;
  std::filesystem::path container_pts_;
  bool has_own_devpts_ = false;
  dev_t devpts_dev_ = 0;
  std::map<int, Found> ptys_;
  std::vector<records::PtyFile> files_;
};

}  // namespace

std::optional<FileKind> pty_kind(const struct stat& st) {
  if (!S_ISCHR(st.st_mode)) return std::nullopt;
  if (major(st.st_rdev) == kPtmxMajor && minor(st.st_rdev) == kPtmxMinor)
    return FileKind::kPtyMaster;
  if (is_slave(st.st_rdev) || is_dev_tty(st.st_rdev)) return FileKind::kPtySlave;
  return std::nullopt;
}

int slave_index(dev_t rdev) {
  return static_cast<int>((major(rdev) - kSlaveMajorFirst) * 256 + minor(rdev));
}

void dump_ttys(const TtysContext& context, const records::FilesState& files,
               image::ImageWriter& image) {
  TtyCollector collector(context);
  collector.add_console();
  collector.add_files(files);
  collector.add_controlling_ttys();
  records::TtysState state = collector.finish();
  if (state.ptys.empty()) return;
  image.put(image::SectionType::kTtys, 0, state);
  spdlog::debug("ttys: {} ptys, {} pty files", state.ptys.size(), state.files.size());
}

}  // namespace ckpt::dump
