// The network namespace module: dumps a container's network through netlink (libnl-route-3) and
// rebuilds it in a new namespace, on this host or another. Everything goes through netlink and
// /proc/sys/net; nothing shells out to `ip`.
//
//   dump_netns        the record of the netns of a process (links, addresses, routes, rules,
//                     permanent and learned neighbours, sysctls)
//   preflight_netns   every bridge/parent the record needs exists on this host (after --net-map),
//                     host-side veth names are free; throws naming them, before anything is made
//   rebuild_netns     a new netns with all of it; undone unless commit() is called
//   setup_container_network   `ckpt run --net ...`: lo up and veth pairs into bridges
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/records/net.h"
#include "common/unique_fd.h"

namespace ckpt::netns {

// `--net-map` renames for a host whose names differ from the dumping host's.
struct NetMap {
  std::map<std::string, std::string> bridges;  // bridge:OLD=NEW, host bridges of veth host ends
  std::map<std::string, std::string> links;    // link:OLD=NEW, macvlan/vxlan parents on the host
  std::map<std::string, std::string> veths;    // veth:OLD=NEW, host-side veth names

  bool operator==(const NetMap&) const = default;
};

// Parses `bridge:OLD=NEW`, `link:OLD=NEW`, `veth:OLD=NEW`; throws Error naming a bad spec.
NetMap parse_net_map(const std::vector<std::string>& specs);

// The network of the netns of `pid`. Throws Error for links it cannot rebuild (naming them).
records::NetNamespace dump_netns(pid_t pid);

// Throws one Error listing every missing bridge/parent and taken host veth name (names mapped by
// `map`; host veth names derived from an id are re-derived from `container_id`).
void preflight_netns(const records::NetNamespace& net, const std::string& container_id,
                     const NetMap& map);

class HostLinkUndo;

// A rebuilt network namespace. Until commit(), destroying it removes the host-side links it made
// and the namespace itself.
class RebuiltNetns {
 public:
  RebuiltNetns(UniqueFd netns, std::unique_ptr<HostLinkUndo> undo,
               std::vector<std::string> held_down = {});
  ~RebuiltNetns();
  RebuiltNetns(const RebuiltNetns&) = delete;
  RebuiltNetns& operator=(const RebuiltNetns&) = delete;

  // The namespace, for setns(fd, CLONE_NEWNET) before cloning the container's init.
  int fd() const { return netns_.get(); }
  // Keeps everything: host-side links stay (the netns lives while a process is in it).
  void commit();
  // Brings up the host veth ends rebuild_netns left down (see hold_host_links_down).
  void bring_host_links_up();
  // Adds (or replaces) these entries in the namespace's neighbour tables: a prebuilt namespace
  // takes those the image learned since it was made.
  void add_neighbours(const std::vector<records::NetNeighbour>& neighbours);

 private:
  UniqueFd netns_;
  std::unique_ptr<HostLinkUndo> undo_;
  std::vector<std::string> held_down_;
};

// Creates a new netns and rebuilds `net` in it (after preflight_netns). With
// `hold_host_links_down`, the host veth ends stay down until bring_host_links_up(): no segment
// reaches the namespace while its TCP connections are being repaired (netns/host_link_lock.h).
std::unique_ptr<RebuiltNetns> rebuild_netns(const records::NetNamespace& net,
                                            const std::string& container_id, const NetMap& map,
                                            bool hold_host_links_down = false);

// `ckpt run --net`: brings `lo` up in the netns of `init_pid` and, for every
// `bridge=BR[,ip=CIDR][,gw=IP][,mac=MAC][,mtu=N][,name=IF]` spec, a veth pair whose container end
// is in that netns and whose host end (host_veth_name) is in bridge BR. `none` or no spec: only lo.
void setup_container_network(pid_t init_pid, const std::string& container_id,
                             const std::vector<std::string>& net_specs);

// Removes the host ends of a container's `--net` veths (they would otherwise linger until the
// kernel has finished with its dead netns, and a restore right after would find them taken).
void remove_host_veths(const std::string& container_id, const std::vector<std::string>& net_specs);

// The host-side name of the `index`-th veth of a container: "ck" + 8 hex of a hash of the id +
// "-" + index; fits IFNAMSIZ and is the same on every host.
std::string host_veth_name(const std::string& container_id, int index);

}  // namespace ckpt::netns
