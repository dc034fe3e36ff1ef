#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>


#include "common/error.h"
#include "migrate/page_store.h"
#include "migrate/protocol.h"
#include "migrate/transport.h"

namespace {

using ckpt::Error;
using ckpt::migrate::Channel;
using ckpt::migrate::FrameType;
using namespace std::chrono_literals;

// Two pipes: a Channel at each end.
struct Link {
  int ab[2], ba[2];
  Link() {
    REQUIRE(::pipe2(ab, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(ba, O_CLOEXEC) == 0);
    ::fcntl(ab[1], F_SETPIPE_SZ, 1 << 20);
  }
  ~Link() {
    for (int fd : {ab[0], ab[1], ba[0], ba[1]}) ::close(fd);
  }
  Channel a() { return Channel(ba[0], ab[1], "b", 2000ms); }
  Channel b() { return Channel(ab[0], ba[1], "a", 2000ms); }
};

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string text_of(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

TEST_CASE("migration frames arrive typed, whole and checked") {
  Link link;
  Channel a = link.a(), b = link.b();
  a.send(FrameType::kImage, bytes_of("head-"), bytes_of("body"));
  a.send(FrameType::kStateEnd);
  auto frame = b.receive();
  CHECK(frame.type == FrameType::kImage);
  CHECK(text_of(frame.payload) == "head-body");
  CHECK(b.expect(FrameType::kStateEnd).payload.empty());
  CHECK(a.bytes_sent() == 2 * 32 + 9);
}

TEST_CASE("a damaged frame is refused in one line") {
  Link link;
  Channel a = link.a(), b = link.b();
  std::string frame(32 + 4, '\0');
  // A real frame, then one payload byte flipped on its way.
  a.send(FrameType::kImage, bytes_of("data"));
  REQUIRE(::read(link.ab[0], frame.data(), frame.size()) == 36);
  frame[33] ^= 1;
  REQUIRE(::write(link.ab[1], frame.data(), frame.size()) == 36);
  CHECK_THROWS_WITH(b.receive(), "a: damaged image frame (payload checksum mismatch)");
}

TEST_CASE("a peer that is not ckpt, or silent, or gone is refused") {
  {
    Link link;
    Channel b = link.b();
    std::string junk(40, 'x');
    REQUIRE(::write(link.ab[1], junk.data(), junk.size()) == 40);
    CHECK_THROWS_WITH(b.receive(), "a is not a ckpt migration peer (no frame magic)");
  }
  {
    Link link;
    Channel b(link.ab[0], link.ba[1], "a", 50ms);
    CHECK_THROWS_WITH(b.receive(), Catch::Contains("said nothing"));
  }
  {
    Link link;
    Channel b = link.b();
    ::close(link.ab[1]);
    link.ab[1] = -1;
    CHECK_THROWS_WITH(b.receive(), "a closed the channel");
  }
}

TEST_CASE("the handshake refuses a peer of another protocol version") {
  Link link;
  Channel a = link.a(), b = link.b();
  std::vector<std::byte> hello;
  ckpt::migrate::put_u64(hello, 7);
  a.send(FrameType::kHello, hello);
  CHECK_THROWS_WITH(b.handshake(),
                    Catch::StartsWith(fmt::format(
                        "a speaks migration protocol version 7, this ckpt speaks {}",
                        ckpt::migrate::kProtocolVersion)));
}

TEST_CASE("a target failure arrives as its message") {
  Link link;
  Channel a = link.a(), b = link.b();
  a.send(FrameType::kFailed, bytes_of("injected fault at restore:netns (CKPT_FAULT)"));
  CHECK_THROWS_WITH(b.expect(FrameType::kRebuilt),
                    "a: injected fault at restore:netns (CKPT_FAULT)");
}

TEST_CASE("held pages: later rounds overwrite, keep lists choose, gaps are refused") {
  ckpt::migrate::PageStore store;
  constexpr uint64_t P = 4096, kBase = 0x7f0000000000;
  std::vector<std::byte> first(4 * P, std::byte{1}), again(P, std::byte{2});
  store.add(9, kBase, first);
  store.add(9, kBase + 2 * P, again);  // page 2 written during round 1, sent in round 2
  store.add(9, kBase + 3 * P, again);  // across the end of a block: a new block after it
  store.add(9, kBase + 4 * P, again);
  store.keep(9, {{kBase + P, 2}});
  CHECK(store.runs(9).size() == 1);
  std::vector<std::pair<uint64_t, int>> seen;
  store.for_each(9, [&](uint64_t address, std::span<const std::byte> bytes) {
    for (size_t i = 0; i < bytes.size(); i += P)
      seen.push_back({(address + i - kBase) / P, static_cast<int>(bytes[i])});
  });
  CHECK(seen == std::vector<std::pair<uint64_t, int>>{{1, 1}, {2, 2}});
  // A post-copy's look-ups: contiguous bytes up to a block's end, none where nothing is held.
  CHECK(store.piece(9, kBase + P, 16 * P).size() == 3 * P);
  CHECK(static_cast<int>(store.piece(9, kBase + 3 * P, P)[0]) == 2);
  CHECK(store.piece(9, kBase + 5 * P, P).empty());
  CHECK(store.piece(8, kBase, P).empty());
  store.keep(9, {{kBase + 8 * P, 1}});  // never sent
  CHECK_THROWS_WITH(store.for_each(9, [](uint64_t, std::span<const std::byte>) {}),
                    Catch::Contains("never received"));
}

TEST_CASE("migration destinations") {
  auto d = ckpt::migrate::parse_destination("ssh://root@10.0.0.2:2222");
  CHECK(d.user_host == "root@10.0.0.2");
  CHECK(d.port == "2222");
  CHECK(ckpt::migrate::parse_destination("host").port.empty());
  CHECK_THROWS(ckpt::migrate::parse_destination("root@:22"));
  CHECK_THROWS(ckpt::migrate::parse_destination("host:ssh"));
  CHECK(ckpt::migrate::shell_line({"ckpt", "it's"}) == "'ckpt' 'it'\\''s'");
}
