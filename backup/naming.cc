#include "backup/naming.h"

#include <time.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"

namespace ckpt::backup {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSuffix = ".ckpt";
constexpr size_t kStampSize = 16;  // YYYYmmddTHHMMSSZ

}  // namespace

std::string image_name(const std::string& id, int64_t unix_time) {
  std::time_t t = unix_time;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[kStampSize + 1];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  return id + "-" + stamp + std::string(kSuffix);
}

std::optional<BackupImage> parse_image_name(const std::string& name) {
  if (name.size() < kStampSize + kSuffix.size() + 2 || !name.ends_with(kSuffix)) return {};
  size_t stamp_at = name.size() - kSuffix.size() - kStampSize;
  if (stamp_at < 2 || name[stamp_at - 1] != '-') return {};
  std::string stamp = name.substr(stamp_at, kStampSize);
  std::tm tm{};
  const char* end = ::strptime(stamp.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  if (!end || *end != '\0') return {};
  BackupImage image;
  image.id = name.substr(0, stamp_at - 1);
  image.name = name;
  image.time = static_cast<int64_t>(::timegm(&tm));
  return image;
}

std::vector<BackupImage> list_images(const std::string& dir, const std::string& id) {
  std::vector<BackupImage> images;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    auto image = parse_image_name(entry.path().filename().string());
    if (!image || (!id.empty() && image->id != id) || !entry.is_regular_file()) continue;
    image->path = entry.path().string();
    images.push_back(std::move(*image));
  }
  if (ec) throw Error(fmt::format("list {}: {}", dir, ec.message()), ec.value());
  std::sort(images.begin(), images.end(), [](const BackupImage& a, const BackupImage& b) {
    return a.id != b.id ? a.id < b.id : a.time < b.time;
  });
  return images;
}

std::vector<std::string> leftover_files(const std::string& dir, const std::string& id) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    size_t tmp = name.rfind(".ckpt.tmp.");
    if (tmp == std::string::npos) continue;
    auto image = parse_image_name(name.substr(0, tmp + kSuffix.size()));
    if (image && image->id == id) files.push_back(entry.path().string());
  }
  return files;
}

}  // namespace ckpt::backup
