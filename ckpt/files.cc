#include "ckpt/files.h"

namespace ckpt::dump {

void dump_files(const FilesContext&, image::ImageWriter&) {}

}  // namespace ckpt::dump
