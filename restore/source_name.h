// A streamed image restored under its source's own name on one host (`ckpt dump c -o - |
// ckpt restore -`): while the stream comes, the dump holds the name's lock and the source
// exists, frozen; its dump removes it only once the whole stream is written. Such a restore reads
// the rest of the stream into a temp file first (image::ImageReader::spool_rest), so that the
// dump can end, then waits for the name to be free (restore/restore.cc).
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>

namespace ckpt::restore {

// Whether name `id` is taken by the dumped container whose init was `source_init` (its host pid,
// as the image records it): its state names that init, or (the dump removing it) it has no
// state left and a dump holds its lock. False when it is free or taken by something else.
bool held_by_leaving_source(const std::string& id, pid_t source_init);

// Waits (at most kSourceNameWait, cancellable) until `id` has no state and no lock holder;
// throws ErrorKind::kBusy when it is still taken then.
inline constexpr std::chrono::seconds kSourceNameWait{30};
void wait_for_source_name(const std::string& id);

}  // namespace ckpt::restore
