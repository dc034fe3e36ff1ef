#include "common/ptrace/vdso_patch.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "common/error.h"
#include "common/log.h"
#include "common/proc/maps.h"
#include "common/ptrace/remote_memory.h"
#include "common/ptrace/trampoline.h"

namespace ckpt::ptrace {
namespace {

static_assert(kParkingTrampolineSize <= sizeof(PatchEntry::original));
constexpr uint64_t kSlot = 16;  // the trampoline's place: the vdso's last 16 bytes

// Where the vdso's ELF image ends (headers, segments, section headers): past it, up to the end
// of the mapping, is padding.
uint64_t elf_image_end(const std::string& image) {
  Elf64_Ehdr header;
  if (image.size() < sizeof header) return image.size();
  std::memcpy(&header, image.data(), sizeof header);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) return image.size();
  uint64_t end = std::max<uint64_t>(header.e_phoff + uint64_t{header.e_phnum} * header.e_phentsize,
                                    header.e_shoff + uint64_t{header.e_shnum} * header.e_shentsize);
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment;
    uint64_t at = header.e_phoff + uint64_t{i} * header.e_phentsize;
    if (at + sizeof segment > image.size()) return image.size();
    std::memcpy(&segment, image.data() + at, sizeof segment);
    end = std::max(end, segment.p_offset + segment.p_filesz);
  }
  return end;
}

// The address of the free slot at the end of the vdso of `pid`: past its ELF image and all zero.
std::optional<uint64_t> free_tail(pid_t pid) {
  for (const auto& map : proc::read_maps(pid)) {
    if (map.name != "[vdso]") continue;
    std::string image(map.end - map.start, '\0');
    read_memory(pid, map.start, image.data(), image.size());
    if (image.size() < kSlot || elf_image_end(image) > image.size() - kSlot) return std::nullopt;
    if (image.find_first_not_of('\0', image.size() - kSlot) != std::string::npos)
      return std::nullopt;
    return map.end - kSlot;
  }
  return std::nullopt;
}

std::string bytes_at(pid_t pid, uint64_t address, size_t size) {
  std::string bytes(size, '\0');
  read_memory(pid, address, bytes.data(), size);
  return bytes;
}

bool is_trampoline(const std::string& bytes) {
  return bytes.size() == kParkingTrampolineSize &&
         std::memcmp(bytes.data(), kParkingTrampoline, kParkingTrampolineSize) == 0;
}

}  // namespace

std::unique_ptr<VdsoPatch> VdsoPatch::write(pid_t pid) {
  std::optional<uint64_t> place;
  try {
    place = free_tail(pid);
  } catch (const Error& e) {
    spdlog::debug("vdso of {} not readable: {}", pid, e.what());
  }
  if (!place) {
    spdlog::debug("vdso of {} has no free tail: its scratch area is mapped from its own code", pid);
    return nullptr;
  }
  return std::unique_ptr<VdsoPatch>(new VdsoPatch(pid, *place));
}

// Recorded before it is written: a kill between the two leaves a record the recovery finds
// nothing to undo for.
VdsoPatch::VdsoPatch(pid_t pid, uint64_t address) {
  entry_.pid = pid;
  entry_.address = address;
  entry_.size = kParkingTrampolineSize;
  read_memory(pid, address, entry_.original, entry_.size);
  journal_patched(entry_);
  write_code(pid, address, kParkingTrampoline, kParkingTrampolineSize);
}

VdsoPatch::~VdsoPatch() {
  try {
    write_code(entry_.pid, entry_.address, entry_.original, entry_.size);
    journal_unpatched(entry_.pid);
  } catch (const Error& e) {  // the process died
    spdlog::debug("vdso of {} not put back: {}", entry_.pid, e.what());
  }
}

bool patch_in_place(const PatchEntry& patch) {
  try {
    return patch.size == kParkingTrampolineSize &&
           is_trampoline(bytes_at(patch.pid, patch.address, patch.size));
  } catch (const Error&) {  // gone, or unmapped since
    return false;
  }
}

bool revert_patch(const PatchEntry& patch) {
  if (!patch_in_place(patch)) return false;
  write_code(patch.pid, patch.address, patch.original, patch.size);
  return true;
}

}  // namespace ckpt::ptrace
