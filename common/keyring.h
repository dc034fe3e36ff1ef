// Kernel keyrings (keyctl(2)) a container starts with. A process inherits its parent's session
// keyring: a container run or restored from an operator's shell would share that shell's keys
// (and its own keys would land there). So each container's init joins a new anonymous session
// keyring, as runc gives containers, before anything of the container runs.
#pragma once

namespace ckpt {

// KEYCTL_JOIN_SESSION_KEYRING with no name; nothing on a kernel without keys. Throws Error.
void join_new_session_keyring();

}  // namespace ckpt
