// The addresses of a restored network namespace announced on its links once they carry traffic,
// as a hypervisor does after a live migration: a gratuitous ARP for each IPv4 address and an
// unsolicited neighbour advertisement (override) for each IPv6 one, from the link's own MAC.
// Bridges and switches learn the MAC's new port from them (before, until the restored container
// sent something, frames to it went to the port the source had; a peer's retransmissions were
// lost there while the source was being removed), and neighbours update their entries.
// Best effort: a link or address that cannot be announced is logged and skipped.
#pragma once

namespace ckpt::netns {

// Announces every address of every link that is up in the netns `netns_fd` (loopback aside).
void announce_addresses(int netns_fd);

}  // namespace ckpt::netns
