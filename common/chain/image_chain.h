// An image and the parents it was made against (incremental images), opened and checked: each
// parent is looked for by the name the child recorded, next to the child or in a directory given,
// and must be the very image the child was made against (same uuid and page index checksum).
// A missing or different parent is refused by name before anything uses the chain.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/image/image.h"
#include "common/records/lineage.h"
#include "common/records/mm.h"
#include "common/records/tree.h"

namespace ckpt::chain {

class ImageChain {
 public:
  // `path` "-" reads stdin; its parents are then looked for in `parent_dir` or the current
  // directory. A non-empty `parent_dir` is where every parent is looked for. With `key`, each
  // link's signature is checked before any of its records is decoded (a piped image is then
  // spooled whatever `pipe` says: its signature is at its end).
  explicit ImageChain(const std::string& path, const std::string& parent_dir = {},
                      std::optional<std::string> key = {},
                      image::PipeMode pipe = image::PipeMode::kSpool);
  ~ImageChain();
  ImageChain(const ImageChain&) = delete;
  ImageChain& operator=(const ImageChain&) = delete;

  // Links, the newest (the image asked for) first, its full ancestor last.
  size_t size() const { return links_.size(); }
  const image::ImageReader& image(size_t link = 0) const { return *links_.at(link).reader; }
  const std::string& path(size_t link = 0) const { return links_.at(link).path; }
  const records::Lineage& lineage(size_t link = 0) const { return links_.at(link).lineage; }
  // The section id of process `ns_pid` in link `link` (its host pid then), if it was there.
  std::optional<uint64_t> process_id(size_t link, pid_t ns_pid) const;
  // The pagemap of process `ns_pid` in parent link `link` (> 0), if it has one: decoded once,
  // when the link was opened; its runs only (no page hashes).
  const records::Pagemap* parent_pagemap(size_t link, pid_t ns_pid) const;

  // What a restore relies on: every payload checksum of every link, and the newest image's page
  // index computed against the checksum its lineage records (a parent was taken, on opening, for
  // the image its child was made against by the uuid and checksum its own lineage records).
  void verify_for_restore() const;
  // That, and every parent's page index computed again against its lineage (ckpt verify).
  void verify() const;

 private:
  struct Link {
    std::string path;
    std::unique_ptr<image::ImageReader> reader;
    records::Lineage lineage;
    records::ProcessTree tree;
    std::map<pid_t, records::Pagemap> pagemaps;  // by pid in the container; parents only
  };
  void open_parent(const records::ParentRef& ref, const std::string& dir);
  std::unique_ptr<image::ImageReader> open_link(const std::string& path,
                                                image::PipeMode pipe = image::PipeMode::kSpool) const;
  void verify_index(const Link& link) const;

  std::optional<std::string> key_;

  std::vector<Link> links_;
};

}  // namespace ckpt::chain
