// The container's own pty namespace: a new devpts instance at /dev/pts, /dev/ptmx leading to it.
#pragma once

namespace ckpt::ns {

// Run inside the container's (private) mount namespace, after its mounts are set up. Mounts a
// new devpts instance (newinstance, ptmxmode=0666) on /dev/pts. /dev/ptmx becomes a symlink to
// pts/ptmx when /dev has none (a --rootfs container's /dev tmpfs); when the container sees the
// host's /dev, pts/ptmx is bind-mounted over /dev/ptmx. Both mounts live only in the container's
// mount namespace: the host's /dev/pts and /dev/ptmx are untouched.
void mount_private_devpts();

// The path of pty slave `index` in the container's devpts.
inline constexpr const char* kDevptsDir = "/dev/pts";

}  // namespace ckpt::ns
