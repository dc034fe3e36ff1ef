#include "common/audit/collect.h"

#include <sched.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <sstream>

#include "common/audit/process_view.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/ns/in_thread.h"
#include "common/proc/mountinfo.h"
#include "common/proc/net_sysctls.h"

namespace ckpt::audit {

std::vector<LockLine> read_lock_lines() {
  std::vector<LockLine> out;
  std::istringstream in(fs::try_read_file("/proc/locks").value_or(""));
  std::string line;
  while (std::getline(in, line))
    if (auto lock = parse_lock_line(line)) out.push_back(*lock);
  return out;
}

std::string ProcessView::ns_pid_text(pid_t host) const {
  if (host == 0) return "0";
  auto it = scope.ns_pid_of.find(host);
  return it == scope.ns_pid_of.end() ? "outside" : std::to_string(it->second);
}

std::string ProcessView::container_path(const std::string& path) const {
  if (!scope.state_dir.empty() && proc::is_below(path, scope.state_dir))
    return "<state>" + proc::relative_to(path, scope.state_dir);
  return proc::path_in_root(path, root);
}

std::string read_link_fact(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return std::string("unreadable: ") + std::strerror(errno);
  return std::string(buf, static_cast<size_t>(n));
}

std::string read_text_or_empty(const std::string& path) {
  try {
    return fs::try_read_file(path).value_or("");
  } catch (const Error&) {
    return "";
  }
}

std::string read_line_fact(const std::string& path) {
  try {
    auto text = fs::try_read_file(path);
    if (!text) return "unreadable: no such file";
    return fs::trim(text->substr(0, text->find('\n')));
  } catch (const Error& e) {
    return std::string("unreadable: ") + std::strerror(e.err());
  }
}

records::AuditFactMap collect_process_facts(pid_t host_pid, const AuditScope& scope,
                                            const std::string& root,
                                            const std::vector<LockLine>& locks) {
  ProcessView view{host_pid, scope, root};
  records::AuditFactMap facts;
  add_process_facts(view, facts);
  add_thread_facts(view, facts);
  add_map_facts(view, facts);
  add_fd_facts(view, locks, facts);
  return facts;
}

records::AuditFacts collect_audit(const AuditScope& scope) {
  records::AuditFacts out;
  std::string root = read_link_fact("/proc/" + std::to_string(scope.init_host_pid) + "/root");
  auto locks = read_lock_lines();
  for (pid_t host : scope.audited) {
    auto ns = scope.ns_pid_of.find(host);
    if (ns == scope.ns_pid_of.end()) continue;
    out.processes[ns->second] = collect_process_facts(host, scope, root, locks);
  }
  out.container = ns::in_namespaces_of(scope.init_host_pid, CLONE_NEWNET, [&] {
    records::AuditFactMap facts =
        net_sysctl_facts(scope.net_sysctls ? *scope.net_sysctls : proc::read_net_sysctls());
    facts.merge(read_net_multicast_facts());
    return facts;
  });
  return out;
}

}  // namespace ckpt::audit
