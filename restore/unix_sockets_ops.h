// The system calls unix socket restore is made of, each failing with an Error naming the name.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/records/sockets.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

UniqueFd make_unix_socket(int type);
std::pair<UniqueFd, UniqueFd> make_unix_socketpair(int type);

// "/run/x.sock" or "@name" for messages.
std::string printable_name(const std::string& name);

// The record's name as this process reaches it: a relative one from the directory it was bound
// in.
std::string reachable_name(const records::UnixSocket& record);

// Binds `fd` to the record's name (nothing when unbound). A socket file left at a path name
// is replaced; the new file gets the recorded mode and owner. A name whose socket file was gone
// at dump time is bound without touching what is at that path now (its file made elsewhere).
void bind_unix_name(int fd, const records::UnixSocket& record);

// Connects `fd` to the socket bound at `name`.
void connect_unix_name(int fd, const std::string& name);

// accept4() of one connection waiting on `listener`.
UniqueFd accept_one(int listener, const std::string& name);

// Sends `data`, split into messages of `sizes`, on `sender` (to `name` when not empty).
void send_messages(int sender, const std::string& name, int type, std::span<const uint32_t> sizes,
                   std::string_view data);

// SO_SNDBUF, SO_RCVBUF, SO_PASSCRED of the record.
void set_unix_options(int fd, const records::UnixSocket& record);

// shutdown(2) of the record's shutdown state, its other socket options, then its SO_PEEK_OFF.
void finish_unix_socket(int fd, const records::UnixSocket& record);

}  // namespace ckpt::restore
