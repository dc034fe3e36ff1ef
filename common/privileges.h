// ckpt works on namespaces, cgroups, ptrace and netlink as root. Without those privileges a verb
// is refused first, in one line naming what is missing, before any lock or state file is touched.
#pragma once

#include <string>

namespace ckpt {

// Whether `verb` ("dump", "inspect", ...) works on containers and so needs root.
bool verb_needs_root(const std::string& verb);

// Refuses, naming the verb and the missing uid or capabilities, unless this process is root
// with the capabilities ckpt uses.
void require_root(const std::string& verb);

}  // namespace ckpt
