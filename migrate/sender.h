// The source side of a live migration (`ckpt migrate`), over a Channel to `ckpt receive`:
//   1. handshake   protocol versions agree
//      groundwork  the container's configuration, cgroups and network (read while it runs) go
//                  first: the target builds its cgroup subtree and network namespace while the
//                  rounds run; the source waits for its word that it did before the freeze
//   2. rounds      pre-copy while the container runs: round 1 sends every page, each later one
//                  the pages written since the previous one (userfaultfd write-protection and
//                  PAGEMAP_SCAN, kept armed across rounds), until the dirty set fits the
//                  downtime budget at the link rate measured so far, stops shrinking, or
//                  max_rounds; none with max_rounds 0 (--lazy only: a pure post-copy, the
//                  pages copied locally while the container runs but sent after the resume)
//   3. final       the dump engine freezes the container and sends the image: every other state
//                  and the pages written since the last round, each record sent as the dump
//                  writes it (migrate/image_stream.h); kKeep lists the rest
//   4. handover    the source stays frozen (seized, host links down, TCP in repair) until the
//                  target reports every process rebuilt; then kCommit, and once the target
//                  says it resumed, the dump kills the source. Any failure before that (the
//                  target's, a broken or silent channel) thaws the source: it carries on.
//   5. fill        the target fills the pre-copied pages it holds after the resume; this waits
//                  for its word that every page is in (with --lazy, sending the pages it
//                  does not have meanwhile)
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "migrate/protocol.h"

namespace ckpt::migrate {

struct MigrateOptions {
  std::string container_id;
  bool tcp_established = false;
  bool with_rootfs = false;
  // The final image's zstd level (0 stores it); -1: chosen by the link the rounds measured
  // (final_image_level in migrate/sender.cc).
  int zstd_level = -1;
  std::string sign_key;  // as dump's --sign-key: the final image is signed
  int max_rounds = 8;  // 0 with lazy: pure post-copy, every page sent once, after the resume
  double max_downtime_ms = 100;
  bool progress = false;  // a line per round on stderr
  bool lazy = false;      // post-copy: the target resumes before the pre-copied pages are in
};

struct RoundFigures {
  int round = 0;
  uint64_t bytes = 0;  // of pages sent
  double seconds = 0;
};

// --with-rootfs: the rootfs sent while the container ran (migrate/rootfs_prebuild.h).
struct RootfsPrebuildFigures {
  uint64_t bytes = 0;    // of the packed tree
  uint64_t entries = 0;  // files, directories, links
  double send_ms = 0;    // the source packing and sending it
  double target_ms = 0;  // the target unpacking it, from its first frame on ("ms" in --json)
};

struct MigrationReport {
  std::vector<RoundFigures> rounds;   // pre-copy rounds
  uint64_t final_bytes = 0;           // the final image's
  int final_zstd_level = 0;           // its payloads' zstd level (0: stored)
  double link_rate = 0;               // bytes/s the rounds' pages went at (0: no round)
  double downtime_ms = 0;             // from the freeze to the target's kResumed
  double total_seconds = 0;
  uint64_t bytes_sent = 0;            // everything on the channel
  double post_copy_seconds = 0;       // from kResumed to the target's kFilled: its memory
                                      // filled after the resume (0: not heard)
  uint64_t filled_after_resume_bytes = 0;  // the target's held pages filled after the resume
  double fill_after_resume_ms = 0;         // the target's time for that (0: filled before)
  uint64_t post_copied_bytes = 0;     // --lazy: pages sent after the resume
  bool resumed = false;               // the target runs the container (the source is killed)
  double target_prebuild_ms = 0;      // the target made its groundwork in, during the rounds
  RootfsPrebuildFigures rootfs_prebuild;  // all 0 without --with-rootfs
  std::string target_restore;         // JSON object: the target's restore figures (kResumed)
  // Where the source's part of the downtime went: the dump's stages from the freeze to the
  // final image written (name, seconds), then from the freeze to the final state sent, the
  // wait for the target's kRebuilt after it, and from kCommit to kResumed.
  std::vector<std::pair<std::string, double>> source_stage_seconds;
  double final_sent_ms = 0, rebuilt_wait_ms = 0, resumed_wait_ms = 0;
};

// Migrates the container over `channel`, filling `report`. Once the target runs it (the
// source's processes are killed), `on_resumed` removes what is left of the source; with --lazy
// the pages the target does not have yet are then sent; this returns once the target has every
// page in (it fills the held ones after the resume), or, without --lazy, once the channel
// breaks after the resume (the target has every page: its fill goes on). Throws with the source
// running, unless report.resumed: then the container runs on the target, and without every
// page in (--lazy, or a fill that failed there) it is lost.
void migrate_container(const MigrateOptions& options, Channel& channel, MigrationReport& report,
                       const std::function<void()>& on_resumed);

}  // namespace ckpt::migrate
