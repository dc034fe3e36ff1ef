// `ckpt attach`: the user's terminal connected to a container's pty console (console.sock of
// its console keeper).
#pragma once

#include <string>
#include <string_view>

namespace ckpt::runtime {

struct AttachOptions {
  std::string container_id;
  // With a stdin that is not a terminal: after its EOF, output is still shown until none came
  // for this long (or the container exits); -1: until the container exits.
  int linger_ms = 1000;
};

enum class AttachEnd { kContainerExited, kDetached, kInputDone };

// Copies stdin to the console and the console to stdout until the container exits, the user
// types the detach keys (Ctrl-P Ctrl-Q) or, without a terminal, the input ended. A terminal on
// stdin is put in raw mode meanwhile.
AttachEnd attach_console(const AttachOptions& options);

// Finds the detach sequence Ctrl-P Ctrl-Q in a stream of input chunks. A Ctrl-P is held back
// until the next byte shows whether it starts the sequence.
class DetachKeys {
 public:
  // Returns the bytes to forward from `chunk`; sets detached() when the sequence was typed
  // (bytes after it are dropped).
  std::string filter(std::string_view chunk);
  bool detached() const { return detached_; }

 private:
  bool pending_ctrl_p_ = false;
  bool detached_ = false;
};

}  // namespace ckpt::runtime
