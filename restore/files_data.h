// Where restore reads stored file contents (kFileData sections) from: the image, or a map in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

namespace ckpt::restore {

using DataConsumer = std::function<void(std::span<const std::byte>)>;
// Calls `consume` with the contents of data section `data_id`, chunk by chunk, in order.
using ReadFileData = std::function<void(uint64_t data_id, const DataConsumer& consume)>;

}  // namespace ckpt::restore
