#include "common/container_state.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/fs.h"
#include "common/records/json.h"
#include "common/untrusted_path.h"

namespace ckpt {

namespace fsys = std::filesystem;
using nlohmann::json;

fsys::path state_root() {
  const char* env = std::getenv("CKPT_STATE_DIR");
  return env && *env ? fsys::path(env) : fsys::path("/run/ckpt");
}

void ContainerState::save() const {
  json j = {{"id", id},
            {"init_pid", init_pid},
            {"init_start_time", init_start_time},
            {"cgroup_path", cgroup_path},
            {"restored_from", restored_from},
            {"created_unix", created_unix},
            {"config", config}};
  fsys::create_directories(dir());
  fs::write_file_atomic(dir() / "state.json", j.dump(2, ' ', false, json::error_handler_t::replace) + "\n", 0600);
}

ContainerState ContainerState::load(const std::string& id) {
  validate_container_id(id);
  auto text = fs::try_read_file(state_root() / id / "state.json");
  if (!text) fail(ErrorKind::kNotFound, "no container named '{}'", id);
  try {
    json j = json::parse(*text);
    ContainerState s;
    s.id = j.at("id");
    s.init_pid = j.at("init_pid");
    s.init_start_time = j.at("init_start_time");
    s.cgroup_path = j.at("cgroup_path");
    s.restored_from = j.value("restored_from", "");
    s.created_unix = j.value("created_unix", int64_t{0});
    s.config = j.at("config").get<records::ContainerConfig>();
    return s;
  } catch (const json::exception& e) {
    fail("state of container '{}' is damaged: {}", id, e.what());
  }
}

std::vector<std::string> ContainerState::list_ids() {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fsys::directory_iterator(state_root(), ec))
    if (fsys::exists(entry.path() / "state.json")) ids.push_back(entry.path().filename());
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool ContainerState::exists(const std::string& id) {
  return fsys::exists(state_root() / id);
}

bool ContainerState::init_alive() const {
  auto start = process_start_time(init_pid);
  return start && *start == init_start_time;
}

void validate_container_id(const std::string& id) {
  // 64 at most: /run/ckpt/ID/console.sock must fit a unix socket address (108 bytes).
  static const std::regex valid("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  if (!std::regex_match(id, valid))
    fail("invalid container id '{}': use 1-64 letters, digits, '_', '.' or '-', the first a "
         "letter or digit",
         fs::printable(id));
}

std::optional<uint64_t> process_start_time(pid_t pid) {
  auto text = fs::try_read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  auto paren = text->rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  // Fields after "(comm)": state is field 3; starttime is field 22.
  std::istringstream in(text->substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && in >> field; ++i)
    if (i == 22) return std::stoull(field);
  return std::nullopt;
}

}  // namespace ckpt
