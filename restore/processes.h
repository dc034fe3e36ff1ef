// The process tree restore engine. Use, in the `ckpt restore` process (the tracer):
//
//   ProcessesRestore processes(image);          // before cloning the root task
//   clone(... CLONE_NEWPID ...) -> in the child: processes.run_root_task(opened_files);
//   processes.fork_tree(root_host_pid);         // the tree forked from it, every process stopped
//   processes.restore();                        // every process rebuilt, all threads stopped
//   processes.resume();                         // detach: the tree runs
//
// Destruction without resume() kills the restored tree.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/chain/image_chain.h"
#include "common/image/image.h"
#include "common/records/mm.h"
#include "restore/cow_shared.h"
#include "restore/files.h"
#include "restore/pages.h"
#include "restore/tree.h"

namespace ckpt::restore {

class ProcessesRestore {
 public:
  // With `chain` (whose newest image is `image`), pages of an incremental image are taken from
  // its parents; `held`: pages outside the image (a migration's), used with the image's, or
  // with `post_copy` left to it (restore/pages_post_copy.h).
  explicit ProcessesRestore(const image::ImageReader& image,
                            const chain::ImageChain* chain = nullptr,
                            const HeldPages* held = nullptr, PostCopy* post_copy = nullptr);
  ~ProcessesRestore();
  ProcessesRestore(const ProcessesRestore&) = delete;
  ProcessesRestore& operator=(const ProcessesRestore&) = delete;

  // In the root task (pid 1 of the new pid namespace); never returns.
  [[noreturn]] void run_root_task(OpenedFiles* files, SessionHook on_session = {}) {
    cow_regions_->map_files(image_);  // the container's mounts show the files
    plan_->run_as_root(files, std::move(on_session));
  }
  // In the tracer, once the root task runs: lets it fork the tree and waits for every process.
  void fork_tree(pid_t root_host_pid);
  // Rebuilds every process of the tree (the point of Stage::kMemory after each one's memory).
  void restore();
  // Lets every restored thread run.
  void resume();

  // ns pid -> host pid of every restored process (after restore()).
  const std::map<pid_t, pid_t>& host_pids() const { return host_pids_; }

 private:
  void restore_process(size_t index);
  std::vector<chain::PageSource> page_sources_of(const records::ProcessEntry& entry,
                                                 const records::Pagemap& pagemap) const;

  const image::ImageReader& image_;
  const HeldPages* held_;
  PostCopy* post_copy_;
  const chain::ImageChain* chain_;
  std::unique_ptr<ForkPlan> plan_;
  std::unique_ptr<CowRegions> cow_regions_;  // mapped before the root task is cloned
  std::map<pid_t, pid_t> host_pids_;
  std::map<pid_t, std::vector<pid_t>> stopped_threads_;  // host pid -> host tids, under ptrace
  std::map<int32_t, records::MmState> mms_;  // by ns pid, every process but zombies
  records::FilesState files_;  // for the pidfds on threads, opened once the threads are made
  std::map<pid_t, int> group_stopped_;  // host pid -> the signal that stopped it when dumped
  std::string container_root_;     // the dumped init's root, as the dump host saw it
};

}  // namespace ckpt::restore
