// The file collection on the ZDTM-style workloads (build/workloads/files_*): each is stopped,
// its files collected, resumed, and must still pass its own checks: collecting reads pipe
// buffers, offsets and deleted files without disturbing them.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "ckpt/files_collect.h"
#include "common/fs.h"
#include "tests/unit/files_test_support.h"

namespace {

namespace fs = std::filesystem;
using ckpt::records::FileKind;

fs::path workloads_dir() {
  return fs::read_symlink("/proc/self/exe").parent_path() / "workloads";
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  auto text = ckpt::fs::try_read_file(fmt::format("/proc/{}/task/{}/children", pid, pid));
  std::istringstream in(text.value_or(""));
  for (pid_t child; in >> child;) out.push_back(child);
  return out;
}

std::vector<pid_t> tree_of(pid_t pid) {
  std::vector<pid_t> tree{pid};
  for (size_t i = 0; i < tree.size(); ++i) {
    for (pid_t child : children_of(tree[i])) tree.push_back(child);
  }
  return tree;
}

// A workload running in a temp dir, reporting to dir/result; killed with its tree at the end.
class Workload {
 public:
  Workload(const std::string& name, size_t processes)
      : dir_(fmt::format("/tmp/ckpt-files-wl-{}-{}", name, getpid())) {
    fs::create_directories(dir_);
    std::string exe = (workloads_dir() / name).string();
    std::string result = dir_ + "/result";
    pid_ = fork();
    if (pid_ == 0) {
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      close_range(3, ~0u, 0);
      execl(exe.c_str(), exe.c_str(), result.c_str(), dir_.c_str(), nullptr);
      _exit(127);
    }
    wait_until([&] {
      return result_text().find("ready") != std::string::npos && tree_of(pid_).size() == processes;
    });
  }
  ~Workload() {
    for (pid_t pid : tree_of(pid_)) kill(pid, SIGKILL);
    waitpid(pid_, nullptr, 0);
    fs::remove_all(dir_);
  }

  std::vector<pid_t> stop() {
    auto tree = tree_of(pid_);
    for (pid_t pid : tree) kill(pid, SIGSTOP);
    wait_until([&] { return std::all_of(tree.begin(), tree.end(), files_test::stopped); });
    return tree;
  }
  void resume(const std::vector<pid_t>& tree) {
    for (pid_t pid : tree) kill(pid, SIGCONT);
  }
  // Resumes, lets it run a little, asks for its verdict.
  std::string finish() {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    std::string text = result_text();
    return text.substr(text.rfind('\n', text.size() - 2) + 1);
  }

 private:
  std::string result_text() const { return ckpt::fs::try_read_file(dir_ + "/result").value_or(""); }
  template <typename Predicate>
  void wait_until(Predicate done) {
    for (int i = 0; i < 500 && !done(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(done());
  }

  std::string dir_;
  pid_t pid_ = -1;
};

ckpt::dump::CollectedFiles collect_and_resume(Workload& workload) {
  auto tree = workload.stop();
  auto collected = ckpt::dump::collect_files({tree, "", {}, std::nullopt});
  workload.resume(tree);
  return collected;
}

}  // namespace

TEST_CASE("collecting the files of files_pipes leaves its pipes as they were", "[root]") {
  if (files_test::skip_unless_root()) return;
  Workload workload("files_pipes", 10);
  auto collected = collect_and_resume(workload);
  CHECK(collected.state.processes.size() == 10);
  CHECK(collected.state.pipes.size() == 11);  // ten ring pipes and the held one
  auto held = std::find_if(collected.state.pipes.begin(), collected.state.pipes.end(),
                           [](const auto& p) { return p.capacity == 256u << 10; });
  REQUIRE(held != collected.state.pipes.end());
  CHECK(held->data_size == 200u << 10);
  CHECK(workload.finish() == "PASS\n");
}

TEST_CASE("collecting the files of files_shared finds the one shared description", "[root]") {
  if (files_test::skip_unless_root()) return;
  Workload workload("files_shared", 2);
  auto collected = collect_and_resume(workload);
  const auto& parent = collected.state.processes.at(0).fds;
  const auto& child = collected.state.processes.at(1).fds;
  auto description_of = [](const auto& fds, int fd) {
    auto it = std::find_if(fds.begin(), fds.end(), [&](const auto& e) { return e.fd == fd; });
    REQUIRE(it != fds.end());
    return it->description;
  };
  CHECK(description_of(parent, 3) == description_of(parent, 4));
  CHECK(description_of(parent, 3) == description_of(child, 3));
  const auto& eventfd = collected.state.descriptions.at(description_of(parent, 8) - 1);
  CHECK(eventfd.kind == FileKind::kEventfd);
  CHECK(eventfd.eventfd_count == 5);
  CHECK(workload.finish() == "PASS\n");
}

TEST_CASE("collecting the files of files_deleted finds its contents", "[root]") {
  if (files_test::skip_unless_root()) return;
  Workload workload("files_deleted", 1);
  auto collected = collect_and_resume(workload);
  REQUIRE(collected.deleted_files.size() == 1);
  const auto& d = collected.state.descriptions.at(collected.deleted_files[0].first - 1);
  CHECK(d.size == (1u << 20) + 123);
  CHECK(d.pos == 777);
  CHECK(d.path.ends_with("/deleted"));
  CHECK(workload.finish() == "PASS\n");
}
