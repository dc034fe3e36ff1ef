#include "restore/files.h"

#include "common/error.h"
#include "common/records/files.h"
#include "restore/files_open.h"
#include "restore/tcp_connections.h"

namespace ckpt::restore {

std::unique_ptr<OpenedFiles> open_files(const image::ImageReader& image,
                                        const FilesRestoreContext& context) {
  if (!image.has(image::SectionType::kFiles, 0))
    fail("restore files: the image has no files section");
  auto state = image.get<records::FilesState>(image::SectionType::kFiles, 0);
  ReadFileData read_data = [&image](uint64_t data_id, const DataConsumer& consume) {
    image.read_stream(image::SectionType::kFileData, data_id, consume);
  };
  TcpConnectionsRestore tcp(image, context.tcp_close);
  FilesRestoreContext with_tcp = context;
  with_tcp.tcp = &tcp;
  return open_files_from(state, read_data, with_tcp);
}

}  // namespace ckpt::restore
