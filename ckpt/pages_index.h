// The page index of an image being dumped: the hashes of its parent's pages and the files of its
// parent's trees (for an incremental dump, `dump --parent OLD`), which let the page writer and
// the tree packer leave out what did not change, and the checksum of the new image's own index,
// for its kLineage record.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/chain/identity.h"
#include "common/records/lineage.h"
#include "common/records/mm.h"
#include "common/image/image.h"
#include "common/records/mounts.h"
#include "common/records/tree.h"
#include "common/tree_pack.h"

namespace ckpt::dump {

// The pages of one process in the parent image, by address.
class ParentPages {
 public:
  explicit ParentPages(records::Pagemap pagemap);
  // The hash of the parent's page at `address`, if it has one.
  std::optional<uint64_t> hash_at(uint64_t address) const;
  // Whether the parent has the page at `address` with this hash.
  bool has(uint64_t address, uint64_t hash) const { return hash_at(address) == hash; }

 private:
  records::Pagemap map_;
  std::vector<uint64_t> first_page_;  // index in map_.hashes of each run's first page
};

class PageIndex {
 public:
  // `parent_path` empty: a full image. Otherwise opens the parent and reads its page index
  // (refused by name if it has none, being of format 1).
  explicit PageIndex(const std::string& parent_path);
  ~PageIndex();

  bool has_parent() const { return parent_.has_value(); }

  // The processes of this dump: their parent pages are found by their pid in the container.
  void bind(const records::ProcessTree& tree);
  // The parent's pages of process `host_pid` (null: none, store every page).
  const ParentPages* parent_pages(pid_t host_pid) const;
  // The same before bind(), for the pre-copy of a running process (its pid in the container
  // read from /proc).
  const ParentPages* parent_pages_of_running(pid_t host_pid) const;
  // Counts `pagemap`, just written for `host_pid`, into the index checksum.
  void add(pid_t host_pid, const records::Pagemap& pagemap);

  // The regular files of the parent's tree of mount `m` (null: none, store every file).
  const tree::FileIndex* parent_files(const records::MountRecord& m);

  // The kLineage record of the new image at `output` ("-": stdout, the parent named as given).
  records::Lineage lineage(const std::string& output) const;

 private:
  std::string parent_path_;
  std::unique_ptr<image::ImageReader> parent_image_;
  std::map<std::string, tree::FileIndex> parent_files_;  // by mount point
  std::optional<records::ParentRef> parent_;
  std::map<pid_t, std::unique_ptr<ParentPages>> parent_by_ns_pid_;
  std::map<pid_t, pid_t> ns_pid_of_;  // host pid -> pid in the container
  chain::IndexChecksum checksum_;
  std::string uuid_;
};

}  // namespace ckpt::dump
