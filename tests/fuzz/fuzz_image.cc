// libFuzzer harness over the image reader and the record decoders (an image is untrusted input):
// any bytes must give a result or a ckpt::Error, never a crash, a hang, undefined behaviour or a
// huge allocation. The input is decoded as each record family straight away, then opened as an
// image file: verified, described (every known record decoded) and dumped as JSON, as `inspect
// --json` does. Built with -DCKPT_FUZZ=ON by clang (tools/fuzz); tools/test runs it ~60 s.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/image/archive.h"
#include "common/image/describe.h"
#include "common/image/image.h"
#include "common/records/cgroup.h"
#include "common/records/container.h"
#include "common/records/files.h"
#include "common/records/mm.h"
#include "common/records/mounts.h"
#include "common/records/net.h"
#include "common/records/process.h"
#include "common/records/threads.h"
#include "common/records/tree.h"
#include "common/tree_entry.h"

namespace {

using namespace ckpt;

template <typename Record>
void decode(const std::string& bytes) {
  try {
    (void)image::from_bytes<Record>(bytes, "fuzz");
  } catch (const Error&) {
  }
}

void decode_records(const std::string& bytes) {
  decode<records::ContainerConfig>(bytes);
  decode<records::ProcessTree>(bytes);
  decode<records::CgroupTree>(bytes);
  decode<records::MountNamespace>(bytes);
  decode<records::NetNamespace>(bytes);
  decode<records::MmState>(bytes);
  decode<records::Pagemap>(bytes);
  decode<records::ThreadsState>(bytes);
  decode<records::ProcessState>(bytes);
  decode<records::FilesState>(bytes);
  decode<tree::TreeEntry>(bytes);
}

void open_as_image(const std::string& bytes) {
  static int fd = ::memfd_create("fuzz-image", MFD_CLOEXEC);
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
    return;
  try {
    image::ImageReader reader("/proc/self/fd/" + std::to_string(fd));
    reader.verify();
    auto doc = image::describe_image(reader);
    (void)doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  decode_records(bytes);
  open_as_image(bytes);
  return 0;
}
