#include "ckpt/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "ckpt/files_collect.h"
#include "ckpt/pipes.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

namespace {

using image::SectionType;

ConsoleId console_id(const std::string& console_path) {
  ConsoleId console;
  struct stat st {};
  if (console_path.empty() || ::stat(console_path.c_str(), &st) != 0) return console;
  console.known = true;
  console.dev = st.st_dev;
  console.ino = st.st_ino;
  return console;
}

records::PipeObject& pipe_by_id(records::FilesState& state, uint64_t id) {
  auto it = std::find_if(state.pipes.begin(), state.pipes.end(),
                         [&](const records::PipeObject& p) { return p.id == id; });
  if (it == state.pipes.end()) fail("files: no pipe {}", id);
  return *it;
}

uint64_t first_description_of_pipe(const records::FilesState& state, uint64_t pipe_id) {
  for (const auto& d : state.descriptions) {
    if (d.pipe_id == pipe_id) return d.id;
  }
  fail("files: pipe {} without description", pipe_id);
}

// Streams the contents of a deleted file from the dumped process's fd into kFileData.
void write_deleted_file(image::ImageWriter& image, uint64_t data_id, FdRef ref) {
  std::string path = "/proc/" + std::to_string(ref.pid) + "/fd/" + std::to_string(ref.fd);
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) throw_errno("open deleted file of pid {} fd {}", ref.pid, ref.fd);
  auto stream = image.open_stream(SectionType::kFileData, data_id);
  std::string buffer(1 << 20, '\0');
  off_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(file.get(), buffer.data(), buffer.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read deleted file of pid {} fd {}", ref.pid, ref.fd);
    if (n == 0) break;
    stream->write(buffer.data(), static_cast<size_t>(n));
    offset += n;
  }
  stream->close();
}

}  // namespace

CollectedFiles collect_files(const FilesContext& context) {
  std::vector<ProcessFdFacts> processes;
  for (pid_t pid : context.pids) processes.push_back(read_process_fds(pid));
  CollectedFiles collected =
      build_files_state(processes, console_id(context.console_path), kcmp_same_file);
  for (auto& [pipe_id, ref] : collected.pipes) {
    PipeContents contents = peek_pipe(ref.pid, ref.fd);
    records::PipeObject& pipe = pipe_by_id(collected.state, pipe_id);
    pipe.capacity = contents.capacity;
    pipe.data_size = contents.data.size();
    if (!contents.data.empty()) {
      pipe.data_id = first_description_of_pipe(collected.state, pipe_id);
      collected.pipe_data.emplace_back(pipe.data_id, std::move(contents.data));
    }
  }
  return collected;
}

void dump_files(const FilesContext& context, image::ImageWriter& image) {
  CollectedFiles collected = collect_files(context);
  image.put(SectionType::kFiles, 0, collected.state);
  for (const auto& [data_id, data] : collected.pipe_data) {
    image.put_bytes(SectionType::kFileData, data_id, data);
  }
  for (const auto& [data_id, ref] : collected.deleted_files)
    write_deleted_file(image, data_id, ref);
  spdlog::debug("files: {} descriptions, {} pipes, {} deleted files",
                collected.state.descriptions.size(), collected.state.pipes.size(),
                collected.deleted_files.size());
}

}  // namespace ckpt::dump
