// Inside the audit collector: one process being read, and the readers of its facts (one file
// per kind of fact).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/audit/collect.h"

namespace ckpt::audit {

struct ProcessView {
  pid_t host_pid;
  const AuditScope& scope;
  const std::string& root;  // the container's root as the host sees it

  std::string path(const std::string& what) const {
    return "/proc/" + std::to_string(host_pid) + "/" + what;
  }
  // A path as the container sees it (its root cut off), the state directory as "<state>".
  std::string container_path(const std::string& path) const;
  // A host pid as the container sees it: "0" for none, "outside" for a process not in it.
  std::string ns_pid_text(pid_t host) const;
};

// readlink(2), or "unreadable: <error>" (a fact too: it must read the same after restore).
std::string read_link_fact(const std::string& path);
// The whole text of a /proc file, "" when it cannot be read.
std::string read_text_or_empty(const std::string& path);
// The first line of a /proc file, or "unreadable: <error>".
std::string read_line_fact(const std::string& path);

void add_process_facts(const ProcessView& p, records::AuditFactMap& facts);  // process_facts.cc
void add_thread_facts(const ProcessView& p, records::AuditFactMap& facts);   // thread_facts.cc
void add_map_facts(const ProcessView& p, records::AuditFactMap& facts);      // map_facts.cc
void add_fd_facts(const ProcessView& p, const std::vector<LockLine>& locks,
                  records::AuditFactMap& facts);  // fd_facts.cc

// /proc/PID/stat's fields after the comm: [0] is field 3 (state), as proc(5) numbers from 1.
std::vector<std::string> stat_fields_after_comm(const std::string& text);
// Field `n` (proc(5) numbering) of those, or "?" when missing.
std::string stat_field(const std::vector<std::string>& fields, size_t n);

}  // namespace ckpt::audit
