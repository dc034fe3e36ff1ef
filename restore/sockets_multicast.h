// Joins again the multicast groups a socket had joined (records::MulticastMembership), on the
// interface of the same name, with the same source filter.
#pragma once

#include <vector>

#include "common/records/socket_options.h"

namespace ckpt::restore {

void join_memberships(int sock, const std::vector<records::MulticastMembership>& memberships);

}  // namespace ckpt::restore
