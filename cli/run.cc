#include <cstdlib>

#include "cli/commands.h"
#include "common/error.h"
#include "runtime/run.h"
#include "common/units.h"

namespace ckpt::cli {

namespace {

struct RunArgs {
  runtime::RunOptions options;
  std::string memory, memory_swap;
  std::optional<int64_t> cpu_shares, cpu_quota, cpu_period, pids_max;
  std::string cpuset;
  std::vector<std::string> tmpfs, binds;
};

// A limit too small for the container's init to start (--memory 0 or 1 had it killed at once,
// and `run` died of SIGPIPE writing to it) is refused before anything is made.
int64_t parse_memory_limit(const std::string& text, const char* option) {
  constexpr int64_t kMinimum = 4 << 20;
  int64_t bytes = parse_size(text, option);
  if (bytes < kMinimum)
    fail("{} {}: too small for a container to start (at least 4M)", option, text);
  return bytes;
}

records::CgroupLimits limits_from(const RunArgs& a) {
  records::CgroupLimits l;
  if (!a.memory.empty()) l.memory_limit = parse_memory_limit(a.memory, "--memory");
  if (!a.memory_swap.empty())
    l.memory_swap_limit = parse_memory_limit(a.memory_swap, "--memory-swap");
  l.cpu_shares = a.cpu_shares;
  l.cpu_quota_us = a.cpu_quota;
  l.cpu_period_us = a.cpu_period;
  l.pids_max = a.pids_max;
  if (!a.cpuset.empty()) l.cpuset_cpus = a.cpuset;
  return l;
}

}  // namespace

void add_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto& config = args->options.config;
  auto* cmd = app.add_subcommand("run", "Start a container: CMD becomes pid 1 of new namespaces");
  cmd->add_option("--name", config.id, "Container id")->required();
  cmd->add_option("--hostname", config.hostname, "Hostname inside the container (default: id)");
  cmd->add_option("--memory", args->memory, "Memory limit (e.g. 256M)");
  cmd->add_option("--memory-swap", args->memory_swap, "Memory+swap limit");
  cmd->add_option("--cpu-shares", args->cpu_shares, "CPU shares (v1) / weight (v2)");
  cmd->add_option("--cpu-quota", args->cpu_quota, "CFS quota in microseconds");
  cmd->add_option("--cpu-period", args->cpu_period, "CFS period in microseconds");
  cmd->add_option("--cpuset", args->cpuset, "CPUs the container may use (e.g. 0-1)");
  cmd->add_option("--pids-max", args->pids_max, "Maximum number of processes");
  cmd->add_option("--rootfs", config.rootfs, "Pivot into this directory")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--net", config.net_specs,
                  "none, or bridge=BR[,ip=CIDR][,gw=IP][,mac=MAC][,mtu=N][,name=IF] (repeatable)")
      ->allow_extra_args(false);  // one value per --net, so `--net X -- cmd -c` parses
  cmd->add_option("--tmpfs", args->tmpfs, "Mount a tmpfs: PATH[:OPTIONS] (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--bind", args->binds, "Bind-mount a host path: HOST:CONTAINER[:ro] (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("-d,--detach", args->options.detach, "Return once started");
  cmd->add_flag("-t,--tty", args->options.tty,
                "A pty console (own devpts; `ckpt attach` connects to it)");
  cmd->add_option("command", config.command, "Command and arguments (after --)")->required();
  cmd->callback([args] {
    auto& c = args->options.config;
    if (c.hostname.empty()) c.hostname = c.id;
    c.limits = limits_from(*args);
    for (const auto& spec : args->tmpfs) args->options.mounts.push_back(ns::parse_tmpfs_spec(spec));
    for (const auto& spec : args->binds) args->options.mounts.push_back(ns::parse_bind_spec(spec));
    int code = runtime::run_container(args->options);
    if (!args->options.detach) std::exit(code);
  });
}

}  // namespace ckpt::cli
