#include "backup/backup.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <map>

#include "backup/flatten.h"
#include "backup/lock.h"
#include "ckpt/dump.h"
#include "common/chain/image_chain.h"
#include "common/chain/identity.h"
#include "common/clock.h"
#include "common/container_lock.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/log.h"

namespace ckpt::backup {
namespace {

namespace fs = std::filesystem;

void make_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir {}", dir);
  if (!fs::is_directory(dir)) fail("{} is not a directory", dir);
}

void remove_leftovers(const std::string& dir, const std::string& id) {
  for (const auto& file : leftover_files(dir, id)) {
    spdlog::info("removing {}, left by a backup that did not finish", file);
    std::error_code ec;
    fs::remove(file, ec);
  }
}

// The newest image of `id` in `dir` if the next backup can be made against it: its chain is
// whole and shorter than `full_every`.
std::string parent_for_next(const std::string& dir, const std::string& id, int full_every) {
  auto images = list_images(dir, id);
  if (images.empty()) return {};
  const std::string& newest = images.back().path;
  try {
    chain::ImageChain chain(newest);
    if (static_cast<int>(chain.size()) >= full_every) {
      spdlog::info("{}: a chain of {} images: this backup is a full image", newest, chain.size());
      return {};
    }
    if (!chain.image().has(image::SectionType::kLineage, 0)) return {};  // format 1: no hashes
  } catch (const Error& e) {
    spdlog::warn("{}; this backup is a full image", e.what());
    return {};
  }
  return newest;
}

}  // namespace

BackupResult run_backup(const BackupOptions& options) {
  auto start = std::chrono::steady_clock::now();
  validate_container_id(options.container_id);
  make_dir(options.dir);
  BackupLock lock(options.dir, options.container_id);
  remove_leftovers(options.dir, options.container_id);

  BackupResult result;
  result.parent = parent_for_next(options.dir, options.container_id, options.full_every);
  result.image =
      (fs::path(options.dir) / image_name(options.container_id, clock_now_ns(CLOCK_REALTIME) / 1'000'000'000)).string();
  if (fs::exists(result.image)) fail("{} exists already (one backup per second)", result.image);

  dump::DumpOptions dump;
  dump.container_id = options.container_id;
  dump.output = result.image;
  dump.leave_running = true;
  dump.tcp_established = options.tcp_established;
  dump.with_rootfs = options.with_rootfs;
  dump.zstd_level = options.zstd_level;
  dump.sign_key = options.sign_key;
  dump.parent = result.parent;
  {
    ContainerLock container(options.container_id, "backup");
    auto dumped = dump::dump_container(dump);
    result.frozen_ms = dumped.frozen_ms;
  }
  result.bytes = fs::file_size(result.image);
  prune(options.dir, options.container_id, options.keep, result);
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

void prune(const std::string& dir, const std::string& id, const KeepPolicy& policy,
           BackupResult& result) {
  if (policy.keeps_all()) return;
  auto images = list_images(dir, id);
  std::vector<int64_t> times;
  for (const auto& image : images) times.push_back(image.time);
  auto keep = backups_to_keep(times, policy);
  for (size_t i = 0; i < images.size(); ++i)
    if (images[i].path == result.image) keep.insert(i);
  std::map<std::string, size_t> index_of;
  for (size_t i = 0; i < images.size(); ++i) index_of[images[i].name] = i;

  // A kept image whose parent goes is made full first (it keeps its identity, so its own
  // children still find it); then nothing kept needs what goes.
  for (size_t i : keep) {
    std::string parent;
    try {
      image::ImageReader reader(images[i].path);
      auto lineage = chain::lineage_of(reader);
      if (lineage.parent) parent = fs::path(lineage.parent->name).filename().string();
    } catch (const Error& e) {
      spdlog::warn("{}; kept as it is", e.what());
      continue;
    }
    auto p = index_of.find(parent);
    if (parent.empty() || (p != index_of.end() && keep.count(p->second))) continue;
    if (p == index_of.end()) {
      spdlog::warn("{}: its parent {} is missing; kept as it is", images[i].path, parent);
      continue;
    }
    spdlog::info("flattening {}: its parent {} is pruned", images[i].name, parent);
    FlattenOptions in_place;
    in_place.input = in_place.output = images[i].path;
    flatten(in_place);
    result.flattened.push_back(images[i].path);
  }
  for (size_t i = 0; i < images.size(); ++i) {
    if (keep.count(i)) continue;
    std::error_code ec;
    if (!fs::remove(images[i].path, ec) && ec)
      throw Error(fmt::format("remove {}: {}", images[i].path, ec.message()), ec.value());
    result.pruned.push_back(images[i].path);
  }
}

std::vector<ListedImage> list_backups(const std::string& dir, const std::string& id) {
  std::vector<ListedImage> listed;
  for (const auto& image : list_images(dir, id)) {
    ListedImage item;
    item.image = image;
    item.own_bytes = fs::file_size(image.path);
    item.total_bytes = item.own_bytes;
    try {
      chain::ImageChain chain(image.path);
      auto lineage = chain.lineage();
      if (lineage.parent) item.parent = lineage.parent->name;
      item.chain_length = chain.size();
      for (size_t i = 1; i < chain.size(); ++i) item.total_bytes += chain.image(i).file_size();
    } catch (const Error& e) {
      item.problem = e.what();
    }
    listed.push_back(std::move(item));
  }
  return listed;
}

}  // namespace ckpt::backup
