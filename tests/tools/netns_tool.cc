// A small driver of the netns module for the root integration tests (tests/integration/
// test_netns_rebuild.py); not installed. Verbs:
//   dump PID FILE                          the record of PID's netns, into FILE
//   rebuild FILE ID NAME [MAP...]          rebuild FILE as a new netns, bind-mounted at
//                                          /run/netns/NAME (so `ip -n NAME` sees it); MAP is a
//                                          --net-map spec
//   setup PID ID [SPEC...]                 setup_container_network(PID, ID, SPECs)
//   show FILE                              the links of a record, one a line
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "common/image/archive.h"
#include "common/unique_fd.h"
#include "netns/netns.h"

using namespace ckpt;

namespace {

void bind_netns(int fd, const std::string& name) {
  ::mkdir("/run/netns", 0755);
  std::string path = "/run/netns/" + name;
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!file) throw_errno("create({})", path);
  std::string source = "/proc/self/fd/" + std::to_string(fd);
  if (::mount(source.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    errno = err;
    throw_errno("bind {} to {}", source, path);
  }
}

int run(const std::vector<std::string>& args) {
  if (args.size() == 3 && args[0] == "dump") {
    auto net = netns::dump_netns(std::stoi(args[1]));
    fs::write_file_atomic(args[2], image::to_bytes(net));
    std::printf("%zu links, %zu addresses, %zu routes, %zu rules, %zu neighbours, %zu sysctls\n",
                net.links.size(), net.addresses.size(), net.routes.size(), net.rules.size(),
                net.neighbours.size(), net.sysctls.size());
    return 0;
  }
  if (args.size() == 2 && args[0] == "show") {
    auto net = image::from_bytes<records::NetNamespace>(fs::read_file(args[1]), "net");
    for (const auto& l : net.links)
      std::printf(
          "%s %s mtu %u mac %s up %d master '%s' peer '%s' tun tap=%d flags=%#x owner=%lld "
          "group=%lld\n",
          l.name.c_str(), l.kind.c_str(), l.mtu, l.mac.c_str(), l.up, l.master.c_str(),
          l.veth.name.c_str(), l.tun.tap, l.tun.flags, static_cast<long long>(l.tun.owner),
          static_cast<long long>(l.tun.group));
    return 0;
  }
  if (args.size() >= 4 && args[0] == "rebuild") {
    auto net = image::from_bytes<records::NetNamespace>(fs::read_file(args[1]), "net");
    auto map = netns::parse_net_map({args.begin() + 4, args.end()});
    netns::preflight_netns(net, args[2], map);
    auto rebuilt = netns::rebuild_netns(net, args[2], map);
    bind_netns(rebuilt->fd(), args[3]);
    rebuilt->commit();
    return 0;
  }
  if (args.size() >= 3 && args[0] == "setup") {
    netns::setup_container_network(std::stoi(args[1]), args[2], {args.begin() + 3, args.end()});
    return 0;
  }
  std::fprintf(stderr,
               "usage: netns_tool dump PID FILE | rebuild FILE ID NAME [MAP...] | "
               "setup PID ID [SPEC...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run({argv + 1, argv + argc});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "netns_tool: error: %s\n", e.what());
    return 1;
  }
}
