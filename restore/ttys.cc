#include "restore/ttys.h"

#include <asm/termbits.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/console/console.h"
#include "common/error.h"
#include "common/ns/devpts.h"
#include "common/scm_rights.h"
#include "restore/fd_kinds.h"

namespace ckpt::restore {

namespace {

std::string slave_path(int index) {
  return std::string(ns::kDevptsDir) + "/" + std::to_string(index);
}

termios2 to_termios2(const records::Termios& t) {
  termios2 out{};
  out.c_iflag = t.iflag;
  out.c_oflag = t.oflag;
  out.c_cflag = t.cflag;
  out.c_lflag = t.lflag;
  out.c_line = t.line;
  std::copy_n(t.cc.begin(), std::min<size_t>(t.cc.size(), NCCS), out.c_cc);
  out.c_ispeed = t.ispeed;
  out.c_ospeed = t.ospeed;
  return out;
}

// In a forked process nothing may throw: a failure is reported and the restore goes on.
void complain(const char* what, int index, pid_t pid) {
  std::fprintf(stderr, "ckpt restore: process %d: pty %d: %s: %s\n", pid, index, what,
               std::strerror(errno));
}

}  // namespace

TtysRestore::TtysRestore(const image::ImageReader& image) {
  if (!image.has(image::SectionType::kTtys, 0)) return;
  state_ = image.get<records::TtysState>(image::SectionType::kTtys, 0);
  bool has_console = std::any_of(state_.ptys.begin(), state_.ptys.end(),
                                 [](const records::Pty& p) { return p.console; });
  if (!has_console) return;
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw_errno("socketpair for the console");
  console_in_ = UniqueFd(fds[0]);
  console_out_ = UniqueFd(fds[1]);
}

void TtysRestore::create_in_namespaces() {
  ns::mount_private_devpts();
  int highest = 0;
  for (const auto& pty : state_.ptys) highest = std::max(highest, pty.index);
  std::vector<UniqueFd> unwanted;  // pairs opened only to reach the next index; closed below
  while (masters_.size() < state_.ptys.size()) {
    UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) throw_errno("restore ttys: open(/dev/ptmx)");
    int index = -1;
    if (::ioctl(master.get(), TIOCGPTN, &index) != 0) throw_errno("restore ttys: TIOCGPTN");
    if (index > highest) fail("restore ttys: the new devpts gave pty {}, past {}", index, highest);
    bool wanted = std::any_of(state_.ptys.begin(), state_.ptys.end(),
                              [&](const records::Pty& p) { return p.index == index; });
    (wanted ? masters_[index] : unwanted.emplace_back()) = std::move(master);
  }
  for (const auto& pty : state_.ptys) {
    int unlock = 0;
    if (::ioctl(masters_[pty.index].get(), TIOCSPTLCK, &unlock) != 0)
      throw_errno("restore ttys: unlock pty {}", pty.index);
    UniqueFd slave(::open(slave_path(pty.index).c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) throw_errno("restore ttys: open({})", slave_path(pty.index));
    configure(pty, slave.get());
    slaves_[pty.index] = std::move(slave);
    if (!pty.console) continue;
    send_fd(console_out_.get(), masters_[pty.index].get());
    masters_.erase(pty.index);  // the console keeper's, outside the container
  }
  spdlog::debug("ttys: {} ptys made in the new devpts", state_.ptys.size());
}

void TtysRestore::configure(const records::Pty& pty, int slave) {
  int master = masters_[pty.index].get();
  if (::fchown(slave, pty.slave_uid, pty.slave_gid) != 0 || ::fchmod(slave, pty.slave_mode) != 0)
    throw_errno("restore ttys: owner and mode of {}", slave_path(pty.index));
  termios2 t = to_termios2(pty.termios);
  if (!pty.termios.cc.empty() && ::ioctl(slave, TCSETS2, &t) != 0)
    throw_errno("restore ttys: pty {} settings (TCSETS2)", pty.index);
  winsize w{pty.window.rows, pty.window.cols, pty.window.xpixel, pty.window.ypixel};
  if (::ioctl(master, TIOCSWINSZ, &w) != 0) throw_errno("restore ttys: pty {} window", pty.index);
  int packet = pty.packet_mode ? 1 : 0;
  if (packet && ::ioctl(master, TIOCPKT, &packet) != 0)
    throw_errno("restore ttys: pty {} packet mode", pty.index);
  // Locked again only when no slave is open in the image (its open would fail otherwise).
  bool slave_open = std::any_of(state_.files.begin(), state_.files.end(),
                                [&](const auto& f) { return f.index == pty.index && !f.master; });
  int lock = 1;
  if (pty.locked && !slave_open && ::ioctl(master, TIOCSPTLCK, &lock) != 0)
    throw_errno("restore ttys: lock pty {}", pty.index);
}

const records::PtyFile& TtysRestore::file_of(uint64_t description) const {
  for (const auto& file : state_.files)
    if (file.description == description) return file;
  fail("restore ttys: description {} is no pty end of the image", description);
}

UniqueFd TtysRestore::open_description(const records::FileDescription& d) const {
  const records::PtyFile& file = file_of(d.id);
  if (!file.master) {
    UniqueFd fd(::open(slave_path(file.index).c_str(), reopen_flags(d.flags)));
    if (!fd) throw_errno("restore ttys: open({})", slave_path(file.index));
    return fd;
  }
  auto master = masters_.find(file.index);
  if (master == masters_.end()) fail("restore ttys: no master of pty {}", file.index);
  UniqueFd fd(::fcntl(master->second.get(), F_DUPFD_CLOEXEC, 0));
  if (!fd) throw_errno("restore ttys: dup master of pty {}", file.index);
  int status = static_cast<int>(d.flags) & (O_APPEND | O_NONBLOCK | O_ASYNC);
  if (::fcntl(fd.get(), F_SETFL, status) != 0) throw_errno("restore ttys: master flags");
  return fd;
}

void TtysRestore::take_terminal(pid_t ns_pid) const {
  for (const auto& pty : state_.ptys) {
    auto slave = slaves_.find(pty.index);
    if (slave == slaves_.end()) continue;
    if (pty.session == ns_pid && ::ioctl(slave->second.get(), TIOCSCTTY, 0) != 0)
      complain("TIOCSCTTY", pty.index, ns_pid);
    if (pty.foreground != ns_pid || pty.session == ns_pid) continue;
    // The foreground group's leader: its group made now, then put in the foreground (SIGTTOU
    // blocked, as a background group's tcsetpgrp would stop it).
    if (::getpgid(0) != ns_pid && ::setpgid(0, 0) != 0) complain("setpgid", pty.index, ns_pid);
    sigset_t ttou, old;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, &old);
    pid_t group = ns_pid;
    if (::ioctl(slave->second.get(), TIOCSPGRP, &group) != 0)
      complain("TIOCSPGRP", pty.index, ns_pid);
    sigprocmask(SIG_SETMASK, &old, nullptr);
  }
}

void TtysRestore::receive_console() {
  if (!console_in_) return;
  console_out_.reset();
  console_master_ = receive_fd(console_in_.get(), /*dont_wait=*/true);
}

void TtysRestore::start_console(const std::filesystem::path& state_dir, pid_t init_pid) {
  if (!console_master_) return;
  console::start_keeper(state_dir, console_master_.get(), init_pid);
  console_master_.reset();
}

}  // namespace ckpt::restore
