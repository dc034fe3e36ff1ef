#include "common/chain/trees.h"

#include "common/error.h"
#include "common/tree_pack.h"

namespace ckpt::chain {

std::optional<uint64_t> same_mount_tree(const image::ImageReader& image,
                                        const records::MountRecord& m) {
  if (!image.has(image::SectionType::kMounts, 0)) return std::nullopt;
  auto ns = image.get<records::MountNamespace>(image::SectionType::kMounts, 0);
  for (const auto& other : ns.mounts)
    if (other.mount_point == m.mount_point && other.kind == m.kind && other.has_contents)
      return other.id;
  return std::nullopt;
}

void unpack_mount_tree(const image::ImageReader& image, const ImageChain* chain,
                       const records::MountRecord& m, const std::string& top,
                       const std::vector<std::string>* held) {
  auto needed = tree::unpack_tree(image, image::SectionType::kMountData, m.id, top, held);
  for (size_t link = 1; !needed.empty(); ++link) {
    if (!chain || link >= chain->size())
      fail("{}: {} files of {} (e.g. {}) are kept in a parent image that is not there",
           chain ? chain->path() : std::string("image"), needed.size(), m.mount_point,
           needed.front());
    auto id = same_mount_tree(chain->image(link), m);
    if (!id) fail("{}: parent image {} holds no files of {}", chain->path(), chain->path(link),
                  m.mount_point);
    needed = tree::fill_tree_data(chain->image(link), image::SectionType::kMountData, *id, top,
                                  needed);
  }
}

}  // namespace ckpt::chain
