// A restored copy next to its running original would take the same IP and MAC addresses on the
// same bridge. Before anything is made, restore compares the image's container-side addresses
// and MACs with those of the running containers on the bridges it joins, and refuses a clash by
// name, unless told to drop the addresses (--ignore-static-ip) or make new MACs
// (--ignore-static-mac), which then change the record to be rebuilt.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "common/records/net.h"
#include "netns/netns.h"

namespace ckpt::restore {

// Addresses ("10.0.0.2", "fd00::2") and MACs (lower case) a running container uses.
struct NetIdentity {
  std::set<std::string> addresses;
  std::set<std::string> macs;
};

// Per host bridge: the identities of the running containers with a veth in it, by id.
using BridgeUsers = std::map<std::string, std::map<std::string, NetIdentity>>;
BridgeUsers running_containers_on_bridges();

struct ConflictPolicy {
  bool ignore_ip = false;   // drop the clashing interfaces' addresses (and their routes)
  bool ignore_mac = false;  // give the clashing interfaces new MACs
};

// Checks `net` (the image's record; bridges renamed by `map`) against `users`; throws
// ErrorKind::kRefused naming each clash, or applies `policy` to `net`.
void resolve_net_conflicts(records::NetNamespace& net, const netns::NetMap& map,
                           const BridgeUsers& users, const ConflictPolicy& policy);

// Checks `net` against the running containers again and again (every 100 ms, cancellable) until
// nothing clashes or `bound` has passed; returns the clash left (as resolve_net_conflicts names
// it), "" when none.
std::string wait_for_no_net_conflict(const records::NetNamespace& net, const netns::NetMap& map,
                              std::chrono::milliseconds bound);

}  // namespace ckpt::restore
