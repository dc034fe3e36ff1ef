#include "backup/policy.h"

#include <time.h>

#include <algorithm>
#include <functional>
#include <numeric>

namespace ckpt::backup {
namespace {

std::tm utc(int64_t t) {
  std::time_t tt = t;
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  return tm;
}

int64_t hour_of(int64_t t) { return t >= 0 ? t / 3600 : (t - 3599) / 3600; }
int64_t day_of(int64_t t) { return t >= 0 ? t / 86400 : (t - 86399) / 86400; }
int64_t month_of(int64_t t) {
  std::tm tm = utc(t);
  return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}
// The ISO 8601 week: year and week number, as strftime's %G and %V.
int64_t week_of(int64_t t) {
  std::tm tm = utc(t);
  char buf[16];
  std::strftime(buf, sizeof buf, "%G%V", &tm);
  return std::stoll(buf);
}

// Walking from the newest: keeps the first backup of each new period until `count` periods.
void keep_per_period(const std::vector<size_t>& newest_first, const std::vector<int64_t>& times,
                     int count, const std::function<int64_t(int64_t)>& period,
                     std::set<size_t>& keep) {
  int64_t last_period = 0;
  int periods = 0;
  for (size_t i : newest_first) {
    if (periods >= count) return;
    int64_t p = period(times[i]);
    if (periods > 0 && p == last_period) continue;
    keep.insert(i);
    last_period = p;
    ++periods;
  }
}

}  // namespace

std::set<size_t> backups_to_keep(const std::vector<int64_t>& times, const KeepPolicy& policy) {
  std::vector<size_t> newest_first(times.size());
  std::iota(newest_first.begin(), newest_first.end(), 0);
  std::stable_sort(newest_first.begin(), newest_first.end(),
                   [&](size_t a, size_t b) { return times[a] > times[b]; });
  std::set<size_t> keep;
  if (policy.keeps_all()) return {newest_first.begin(), newest_first.end()};
  for (int i = 0; i < policy.last && i < static_cast<int>(newest_first.size()); ++i)
    keep.insert(newest_first[static_cast<size_t>(i)]);
  keep_per_period(newest_first, times, policy.hourly, hour_of, keep);
  keep_per_period(newest_first, times, policy.daily, day_of, keep);
  keep_per_period(newest_first, times, policy.weekly, week_of, keep);
  keep_per_period(newest_first, times, policy.monthly, month_of, keep);
  return keep;
}

}  // namespace ckpt::backup
