// Named failure points for tests of the failure paths (as CRIU's CRIU_FAULT): with
// CKPT_FAULT=NAME in the environment, fault_point("NAME") throws the Error a real failure at that
// step would, so a test can check that a dump failing there leaves the container running as
// before and that a restore failing there leaves nothing behind. Unset, it does nothing.
#pragma once

#include <string_view>

namespace ckpt {

void fault_point(std::string_view name);

}  // namespace ckpt
