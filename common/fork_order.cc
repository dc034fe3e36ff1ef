#include "common/fork_order.h"

#include <map>

#include "common/error.h"

namespace ckpt {
namespace {

class Planner {
 public:
  Planner(const records::ProcessTree& tree, const std::set<int32_t>& subreapers)
      : tree_(tree), subreapers_(subreapers) {
    for (size_t i = 0; i < tree.processes.size(); ++i) index_[tree.processes[i].pid] = i;
  }

  ForkOrder plan() {
    order_.forker.resize(tree_.processes.size());
    for (size_t i = 0; i < tree_.processes.size(); ++i) {
      const auto& p = tree_.processes[i];
      order_.forker[i] = i == 0 ? 0 : forker_of(p);
      if (i != 0 && order_.forker[i] != p.ppid) check_reparented(p, order_.forker[i]);
      if (i != 0) ensure_group(p, order_.forker[i]);
      if (i != 0) check_shares_with_forker(p, order_.forker[i]);
    }
    for (const auto& helper : order_.helpers) order_.forker.push_back(helper.ppid);
    return order_;
  }

 private:
  const records::ProcessEntry* real(int32_t pid) const {
    auto it = index_.find(pid);
    return it == index_.end() ? nullptr : &tree_.processes[it->second];
  }
  const records::ProcessEntry* helper(int32_t pid) const {
    for (const auto& h : order_.helpers)
      if (h.pid == pid) return &h;
    return nullptr;
  }
  bool live_real(int32_t pid) const {
    auto* p = real(pid);
    return p && !p->zombie;
  }

  int32_t forker_of(const records::ProcessEntry& p) {
    const auto* parent = real(p.ppid);
    if (!parent) fail("process {}: its parent {} is not in the tree", p.pid, p.ppid);
    if (p.sid == p.pid || parent->sid == p.sid) return p.ppid;
    // Reparented out of its session: forked inside it by its leader, or a helper for it.
    if (const auto* leader = real(p.sid)) {
      if (leader->zombie) return leader->pid;
      fail(
          "process {} is in session {} but its parent {} is not, and the session's leader still "
          "runs; not supported",
          p.pid, p.sid, p.ppid);
    }
    if (!helper(p.sid)) add_helper(p.sid, p.sid, p.ppid, p);
    return p.sid;
  }

  void add_helper(int32_t pid, int32_t sid, int32_t forker, const records::ProcessEntry& for_whom) {
    if (!live_real(forker) && !helper(forker))
      fail("process {}: the leader {} of its session or group is gone and {} cannot stand in; "
           "not supported",
           for_whom.pid, pid, forker);
    records::ProcessEntry h;
    h.pid = h.pgid = pid;
    h.sid = sid;
    h.ppid = forker;
    h.comm = "ckpt-helper";
    order_.helpers.push_back(h);
  }

  // The group of `p` exists when it joins: its leader, or a helper in its session.
  void ensure_group(const records::ProcessEntry& p, int32_t forker) {
    if (p.pgid == p.pid || real(p.pgid) || helper(p.pgid)) return;
    if (helper(p.sid)) return add_helper(p.pgid, p.sid, p.sid, p);
    const auto* f = real(forker);
    if (f && !f->zombie && f->sid == p.sid) return add_helper(p.pgid, p.sid, forker, p);
    fail("process {}: the leader {} of its process group is gone and no process of its session "
         "{} can stand in; not supported",
         p.pid, p.pgid, p.sid);
  }

  // The process an orphan of `pid` goes to: the nearest child subreaper above it, or the root.
  int32_t reaper_above(int32_t pid) const {
    for (;;) {
      int32_t up;
      if (const auto* h = helper(pid)) {
        up = h->ppid;
      } else {
        up = real(pid)->ppid;
      }
      const auto* above = real(up);
      if (!above) fail("process {} has no parent in the tree", pid);
      if (above->ppid == 0 || (!above->zombie && subreapers_.count(up))) return up;
      pid = up;
    }
  }

  // A child sharing its parent's fd table or fs state is cloned with it by that parent.
  void check_shares_with_forker(const records::ProcessEntry& p, int32_t forker) const {
    if (!p.shares_parent_files && !p.shares_parent_fs) return;
    const auto* parent = real(p.ppid);
    if (p.zombie || !parent || parent->zombie)
      fail("process {} shares a table with its parent {}, which is not a live process", p.pid,
           p.ppid);
    if (forker != p.ppid)
      fail(
          "process {} shares its {} with its parent {} but is forked by {}, standing in for the "
          "gone leader of its session or group; not supported",
          p.pid, p.shares_parent_files ? "fd table" : "cwd/root/umask", p.ppid, forker);
  }

  // `p` is forked by `forker`, which exits: `p` must then land on its dumped parent.
  void check_reparented(const records::ProcessEntry& p, int32_t forker) const {
    int32_t lands = reaper_above(forker);
    if (lands != p.ppid)
      fail(
          "process {} (session {}) would be reparented to {}, not to its parent {}, once the "
          "leader of its session is gone again; not supported",
          p.pid, p.sid, lands, p.ppid);
  }

  const records::ProcessTree& tree_;
  const std::set<int32_t>& subreapers_;
  std::map<int32_t, size_t> index_;
  ForkOrder order_;
};

}  // namespace

ForkOrder plan_fork_order(const records::ProcessTree& tree, const std::set<int32_t>& subreapers) {
  if (tree.processes.empty()) return {};
  return Planner(tree, subreapers).plan();
}

}  // namespace ckpt
