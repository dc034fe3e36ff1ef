#include "restore/files.h"

#include "common/error.h"
#include "common/records/files.h"
#include "restore/files_fd_room.h"
#include "restore/files_locks.h"
#include "restore/files_open.h"
#include "restore/sockets.h"
#include "restore/tcp_connections.h"

namespace ckpt::restore {

using image::SectionType;
using records::FileKind;

std::unique_ptr<OpenedFiles> open_files(const image::ImageReader& image,
                                        const FilesRestoreContext& context) {
  if (!image.has(SectionType::kFiles, 0)) fail("restore files: the image has no files section");
  auto state = image.get<records::FilesState>(SectionType::kFiles, 0);
  ReadFileData read_data = [&image](uint64_t data_id, const DataConsumer& consume) {
    image.read_stream(SectionType::kFileData, data_id, consume);
  };
  records::EventFilesState events;
  if (image.has(SectionType::kEventFiles, 0))
    events = image.get<records::EventFilesState>(SectionType::kEventFiles, 0);
  // Room first: the sockets below take fds of their own.
  ensure_fd_fits(after_descriptions_fd(state) - 1, "restore files");

  FilesRestoreContext with_image = context;
  with_image.locks = read_file_locks(image);
  SocketsImage sockets_image = read_sockets(image);
  RestoredSockets sockets(sockets_image);
  with_image.openers.add({FileKind::kUnixSocket, FileKind::kUdpSocket},
                         [&sockets](const auto& d) { return sockets.open_description(d); });
  TcpConnectionsRestore tcp(image, context.tcp_close);
  with_image.openers.add({FileKind::kTcpConnection}, [&tcp](const auto& d) { return tcp.open(d); });

  auto opened = open_files_from(state, read_data, with_image, events);
  tcp.finish();
  return opened;
}

}  // namespace ckpt::restore
