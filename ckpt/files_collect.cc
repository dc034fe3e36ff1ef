#include "ckpt/files_collect.h"

#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <sstream>
#include <tuple>

#include "ckpt/pipes.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/proc/pid_status.h"

namespace ckpt::dump {

namespace {

using records::FileDescription;
using records::FileKind;

// Descriptions can only be the same when these agree; kcmp decides among candidates.
using CandidateKey = std::tuple<dev_t, ino_t, uint32_t, int64_t>;

CandidateKey candidate_key(const FdFacts& facts) {
  return {facts.st.st_dev, facts.st.st_ino, facts.info.flags & ~static_cast<uint32_t>(O_CLOEXEC),
          facts.info.pos};
}

struct Representative {
  FdRef ref;
  uint64_t id;
};

class DescriptionTable {
 public:
  DescriptionTable(const FdScope& scope, const CompareDescriptions& compare)
      : scope_(scope), compare_(compare) {}

  // The id of the description behind `facts`, adding it when new.
  uint64_t id_of(const FdFacts& facts, const std::string& root) {
    auto& candidates = candidates_[candidate_key(facts)];
    // Candidates stay sorted in kcmp order: one binary search per fd, not one kcmp per candidate.
    auto at = std::lower_bound(candidates.begin(), candidates.end(), facts,
                               [&](const Representative& r, const FdFacts& f) {
                                 return compare_(r.ref.pid, r.ref.fd, f.pid, f.fd) < 0;
                               });
    if (at != candidates.end() && compare_(at->ref.pid, at->ref.fd, facts.pid, facts.fd) == 0)
      return at->id;
    FileDescription d = describe_fd(facts, root, scope_);
    d.id = collected_.state.descriptions.size() + 1;
    note_contents(d, facts);
    candidates.insert(at, {{facts.pid, facts.fd}, d.id});
    collected_.state.descriptions.push_back(std::move(d));
    return collected_.state.descriptions.back().id;
  }

  CollectedFiles take() { return std::move(collected_); }

 private:
  // Deleted files' contents and pipes are kept once per inode.
  void note_contents(FileDescription& d, const FdFacts& facts) {
    FdRef ref{facts.pid, facts.fd};
    if (d.deleted && d.kind == FileKind::kRegular) {
      auto [it, added] = deleted_data_.try_emplace({facts.st.st_dev, facts.st.st_ino}, d.id);
      d.data_id = it->second;
      if (added) collected_.deleted_files.emplace_back(d.id, ref);
    }
    if (d.kind == FileKind::kPipe || d.kind == FileKind::kFifo) note_pipe(d, ref);
  }

  void note_pipe(const FileDescription& d, FdRef ref) {
    auto& pipes = collected_.state.pipes;
    bool known = std::any_of(pipes.begin(), pipes.end(),
                             [&](const records::PipeObject& p) { return p.id == d.pipe_id; });
    if (known) return;
    records::PipeObject pipe;
    pipe.id = d.pipe_id;
    if (d.kind == FileKind::kFifo) pipe.fifo_path = d.path;
    pipes.push_back(pipe);
    collected_.pipes.emplace_back(d.pipe_id, ref);
  }

  const FdScope& scope_;
  CompareDescriptions compare_;
  std::map<CandidateKey, std::vector<Representative>> candidates_;
  std::map<std::pair<dev_t, ino_t>, uint64_t> deleted_data_;
  CollectedFiles collected_;
};

std::vector<int> list_fds(pid_t pid) {
  std::vector<int> fds;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    fds.push_back(std::stoi(entry.path().filename().string()));
  }
  if (ec) fail("list {}: {}", dir, ec.message());
  std::sort(fds.begin(), fds.end());
  return fds;
}

std::string read_root(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/root";
  std::error_code ec;
  auto root = std::filesystem::read_symlink(path, ec);
  if (ec) fail("readlink({}): {}", path, ec.message());
  return root.string();
}

ConsoleId console_id(const std::string& console_path) {
  ConsoleId console;
  struct stat st {};
  if (console_path.empty() || ::stat(console_path.c_str(), &st) != 0) return console;
  console.known = true;
  console.dev = st.st_dev;
  console.ino = st.st_ino;
  return console;
}

records::PipeObject& pipe_by_id(records::FilesState& state, uint64_t id) {
  auto it = std::find_if(state.pipes.begin(), state.pipes.end(),
                         [&](const records::PipeObject& p) { return p.id == id; });
  if (it == state.pipes.end()) fail("files: no pipe {}", id);
  return *it;
}

uint64_t first_description_of_pipe(const records::FilesState& state, uint64_t pipe_id) {
  for (const auto& d : state.descriptions) {
    if (d.pipe_id == pipe_id) return d.id;
  }
  fail("files: pipe {} without description", pipe_id);
}

}  // namespace

int kcmp_files(pid_t pid_a, int fd_a, pid_t pid_b, int fd_b) {
  long r = ::syscall(SYS_kcmp, pid_a, pid_b, KCMP_FILE, fd_a, fd_b);
  if (r < 0) throw_errno("kcmp(pid {} fd {}, pid {} fd {})", pid_a, fd_a, pid_b, fd_b);
  if (r == 3) fail("kcmp(pid {} fd {}, pid {} fd {}): not ordered", pid_a, fd_a, pid_b, fd_b);
  return r == 0 ? 0 : r == 1 ? -1 : 1;
}

ProcessFdFacts read_process_fds(pid_t host_pid, const std::string& root) {
  ProcessFdFacts process;
  process.host_pid = host_pid;
  process.ns_pid = proc::read_innermost_pid(host_pid);
  process.root = root;
  for (int fd : list_fds(host_pid)) process.fds.push_back(read_fd_facts(host_pid, fd));
  return process;
}

CollectedFiles build_files_state(const std::vector<ProcessFdFacts>& processes,
                                 const FdScope& container, const CompareDescriptions& compare) {
  FdScope scope = container;
  for (const ProcessFdFacts& process : processes) scope.ns_pids[process.host_pid] = process.ns_pid;
  DescriptionTable table(scope, compare);
  std::vector<records::ProcessFiles> tables;
  FileLocksCollector locks;
  for (const ProcessFdFacts& process : processes) {
    records::ProcessFiles files;
    files.host_pid = process.host_pid;
    files.ns_pid = process.ns_pid;
    for (const FdFacts& facts : process.fds) {
      bool cloexec = (facts.info.flags & O_CLOEXEC) != 0;
      uint64_t id = table.id_of(facts, process.root);
      files.fds.push_back({facts.fd, id, cloexec});
      locks.add_fd(facts, process.ns_pid, id);
    }
    tables.push_back(std::move(files));
  }
  CollectedFiles collected = table.take();
  collected.state.processes = std::move(tables);
  collected.locks = std::move(locks);
  return collected;
}

CollectedFiles collect_files(const FilesContext& context) {
  std::vector<ProcessFdFacts> processes;
  std::string root = context.pids.empty() ? "/" : read_root(context.pids.front());  // the init's
  for (pid_t pid : context.pids) processes.push_back(read_process_fds(pid, root));
  FdScope scope;
  scope.console = console_id(context.console_path);
  if (!context.pids.empty()) scope.namespaces = read_container_namespaces(context.pids.front());
  CollectedFiles collected = build_files_state(processes, scope, kcmp_files);
  for (auto& [pipe_id, ref] : collected.pipes) {
    bool packet_writer = false;
    for (const auto& d : collected.state.descriptions)
      if (d.pipe_id == pipe_id && (d.flags & O_DIRECT)) packet_writer = true;
    PipeContents contents = peek_pipe(ref.pid, ref.fd, packet_writer);
    records::PipeObject& pipe = pipe_by_id(collected.state, pipe_id);
    pipe.capacity = contents.capacity;
    pipe.data_size = contents.data.size();
    pipe.packets = std::move(contents.packets);
    if (!contents.data.empty()) {
      pipe.data_id = first_description_of_pipe(collected.state, pipe_id);
      collected.pipe_data.emplace_back(pipe.data_id, std::move(contents.data));
    }
  }
  return collected;
}

}  // namespace ckpt::dump
