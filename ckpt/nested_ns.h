// A process of the container in namespaces of its own (made by unshare or a nested container
// runtime) would come back in its init's namespaces: such a tree is refused, naming the process
// and the namespace, before any process is seized (the container thaws and runs on).
#pragma once

#include "common/records/tree.h"

namespace ckpt::dump {

void refuse_nested_namespaces(const records::ProcessTree& tree);

}  // namespace ckpt::dump
