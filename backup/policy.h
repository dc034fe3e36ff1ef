// Which backups to keep, as restic and borg mean it: --keep-last N keeps the N newest;
// --keep-hourly/daily/weekly/monthly N keep, for each of the N most recent hours (days, ISO
// weeks, months) that have a backup, the newest backup of that period. A backup kept by any rule
// is kept. Periods are in UTC, as the image names are. With no rule at all, everything is kept.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

namespace ckpt::backup {

struct KeepPolicy {
  int last = 0;
  int hourly = 0;
  int daily = 0;
  int weekly = 0;
  int monthly = 0;

  bool keeps_all() const { return last + hourly + daily + weekly + monthly == 0; }
};

// The indexes into `times` (seconds since the epoch, UTC, in any order) of the backups to keep.
std::set<size_t> backups_to_keep(const std::vector<int64_t>& times, const KeepPolicy& policy);

}  // namespace ckpt::backup
