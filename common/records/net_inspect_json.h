// The network record as `ckpt inspect --json` shows it: families, scopes, flags, protocols and
// types by name, and only the attributes of each link's kind (net_json.h is the lossless
// form, read back by the tests).
#pragma once

#include <nlohmann/json.hpp>

#include "common/records/net.h"

namespace ckpt::records {

nlohmann::json inspect_json(const NetNamespace& net);

}  // namespace ckpt::records
