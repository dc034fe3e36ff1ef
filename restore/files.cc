#include "restore/files.h"

namespace ckpt::restore {

namespace {
class NoFiles : public OpenedFiles {
 public:
  void install_fds(pid_t) override {}
};
}  // namespace

std::unique_ptr<OpenedFiles> open_files(const image::ImageReader&, const FilesRestoreContext&) {
  return std::make_unique<NoFiles>();
}

}  // namespace ckpt::restore
