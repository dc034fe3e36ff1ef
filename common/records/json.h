// Records as JSON, for `ckpt inspect --json` and for people reading images. One to_json per
// record type, found by nlohmann::json through ADL: `nlohmann::json j = config;`. Families added
// later put theirs here too. Unset optional fields are null.
#pragma once

#include <nlohmann/json.hpp>

#include "common/image/image.h"
#include "common/records/audit.h"
#include "common/records/cgroup.h"
#include "common/records/container.h"
#include "common/records/mounts_json.h"
#include "common/records/net_json.h"
#include "common/records/tree.h"
#include "common/records/uts.h"

namespace ckpt::records {

void to_json(nlohmann::json& j, const CgroupLimits& limits);
void from_json(const nlohmann::json& j, CgroupLimits& limits);
void to_json(nlohmann::json& j, const CgroupNode& node);
void to_json(nlohmann::json& j, const CgroupTree& tree);
void to_json(nlohmann::json& j, const ContainerConfig& config);
void from_json(const nlohmann::json& j, ContainerConfig& config);
void to_json(nlohmann::json& j, const UtsState& uts);
void to_json(nlohmann::json& j, const ThreadId& thread);
void to_json(nlohmann::json& j, const ProcessEntry& process);
// An array of processes, parents first.
void to_json(nlohmann::json& j, const ProcessTree& tree);
// {"container": {name: value}, "processes": {"PID": {name: value}}}.
void to_json(nlohmann::json& j, const AuditFacts& facts);

}  // namespace ckpt::records

namespace ckpt::image {

void to_json(nlohmann::json& j, const Header& header);

}  // namespace ckpt::image
