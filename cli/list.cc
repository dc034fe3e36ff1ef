#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/global_options.h"
#include "common/units.h"
#include "runtime/list.h"

namespace ckpt::cli {

namespace {

void print_table(const std::vector<runtime::ContainerInfo>& rows) {
  std::printf("%-20s %-8s %-9s %6s %12s  %s\n", "ID", "PID", "STATE", "PROCS", "MEMORY",
              "ADDRESSES");
  for (const auto& r : rows) {
    std::string addresses;
    for (const auto& a : r.addresses)
      addresses += fmt::format("{}{} {}/{}", addresses.empty() ? "" : ", ", a.interface, a.address,
                               a.prefix);
    std::printf("%-20s %-8d %-9s %6zu %12s  %s\n", r.id.c_str(), r.init_pid, r.state.c_str(),
                r.processes, format_size(r.memory_bytes).c_str(), addresses.c_str());
  }
}

nlohmann::json addresses_json(const std::vector<runtime::InterfaceAddress>& addresses) {
  auto out = nlohmann::json::array();
  for (const auto& a : addresses)
    out.push_back({{"interface", a.interface},
                   {"family", a.family},
                   {"address", a.address},
                   {"prefix", a.prefix}});
  return out;
}

void print_json(const std::vector<runtime::ContainerInfo>& rows) {
  auto out = nlohmann::json::array();
  for (const auto& r : rows)
    out.push_back({{"id", r.id},
                   {"init_pid", r.init_pid},
                   {"state", r.state},
                   {"processes", r.processes},
                   {"memory_bytes", r.memory_bytes},
                   {"restored_from", r.restored_from},
                   {"addresses", addresses_json(r.addresses)}});
  std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

}  // namespace

void add_list(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "List containers: id, init pid, state, processes, memory");
  cmd->alias("ls");
  cmd->callback([] {
    auto rows = runtime::list_containers();
    global_options().json ? print_json(rows) : print_table(rows);
  });
}

}  // namespace ckpt::cli
