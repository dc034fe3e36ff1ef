// The restore plan: the ordered steps that rebuild a network record through the Netlink interface.
//   1. namespace-wide sysctls (ip_forward, conf/all, conf/default), so new links inherit them
//   2. links (veth pairs with the host end on the host, bridges, macvlan/vxlan on host parents)
//   3. per-link sysctls, before any address exists (disable_ipv6 would drop them)
//   4. enslave: ports into bridges in the netns, host veth ends into host bridges
//   5. up, in link order (lo first), host veth ends too
//   6. addresses, 7. routes (link-scope before gateway routes), 8. rules, 9. neighbours
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/records/net.h"
#include "netns/netlink.h"
#include "netns/netns.h"

namespace ckpt::netns {

struct CreateLink {
  records::NetLink link;
};
struct SetMaster {
  std::string link, master;
  bool host = false;
};
struct SetUp {
  std::string link;
  bool host = false;
};
struct AddAddress {
  records::NetAddress address;
};
struct AddRoute {
  records::NetRoute route;
};
struct AddRule {
  records::NetRule rule;
};
struct AddNeighbour {
  records::NetNeighbour neighbour;
};
struct WriteSysctls {
  std::string what;
  std::vector<records::NetSysctl> sysctls;
};

using Step = std::variant<CreateLink, SetMaster, SetUp, AddAddress, AddRoute, AddRule, AddNeighbour,
                          WriteSysctls>;
using Plan = std::vector<Step>;

// One line per step, e.g. "link veth eth0 (host ck1234abcd-0)", "addr eth0 10.0.0.2/24".
std::string describe(const Step& step);

// The record with --net-map applied: host bridges, parents and host veth names renamed, and host
// veth names derived from an id ("ck<hash>-N") re-derived from `container_id`.
records::NetNamespace map_to_host(const records::NetNamespace& net, const std::string& container_id,
                                  const NetMap& map);

// Every problem that would stop the plan on this host, as one-line strings ("bridge br0 (for
// eth0) is missing"); empty when the plan can run. `net` is already mapped.
std::vector<std::string> host_problems(const records::NetNamespace& net, Netlink& nl);

Plan build_plan(const records::NetNamespace& net);

// `net` without the addresses the kernel gives a link by itself (lo's, EUI-64 link-local ones,
// whose flags change while DAD runs): what a plan of it adds is the same.
records::NetNamespace without_kernel_made(records::NetNamespace net);

// Removes the steps that bring host links up from `plan`; returns those links' names in order.
std::vector<std::string> take_host_up_steps(Plan& plan);

// Host links made by a plan, removed on destruction unless released.
class HostLinkUndo {
 public:
  explicit HostLinkUndo(std::shared_ptr<Netlink> nl) : nl_(std::move(nl)) {}
  ~HostLinkUndo();
  HostLinkUndo(const HostLinkUndo&) = delete;
  HostLinkUndo& operator=(const HostLinkUndo&) = delete;

  void add(const std::string& host_link) { links_.push_back(host_link); }
  void release() { links_.clear(); }
  const std::vector<std::string>& links() const { return links_; }

 private:
  std::shared_ptr<Netlink> nl_;
  std::vector<std::string> links_;
};

// Runs every step in order; host links made are added to `undo` as they are made.
void apply_plan(const Plan& plan, Netlink& nl, HostLinkUndo& undo);

}  // namespace ckpt::netns
