#include <catch2/catch.hpp>
#include <netinet/in.h>

#include <cstring>

#include "common/proc/igmp.h"

using namespace ckpt;

TEST_CASE("igmp: each group with its interface and users", "[proc][igmp]") {
  const std::string text =
      "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n"
      "1\tlo        :     2      V3\n"
      "\t\t\t\t030201EF     2 0:00000000\t\t0\n"
      "\t\t\t\t010000E0     1 0:00000000\t\t0\n"
      "3\teth0      :     1      V3\n"
      "\t\t\t\t010000E0     1 0:00000000\t\t0\n";
  auto groups = proc::parse_igmp(text);
  REQUIRE(groups.size() == 3);
  CHECK(groups[0].family == AF_INET);
  CHECK(groups[0].ifindex == 1);
  CHECK(groups[0].device == "lo");
  CHECK(groups[0].users == 2);
  in_addr expected{};
  expected.s_addr = htonl(0xEF010203);  // 239.1.2.3
  CHECK(groups[0].group == std::string(reinterpret_cast<const char*>(&expected), 4));
  CHECK(groups[2].ifindex == 3);
  CHECK(groups[2].device == "eth0");
}

TEST_CASE("igmp6: each group with its interface and users", "[proc][igmp]") {
  const std::string text =
      "1    lo              ff150000000000000000000000001234     1 00000004 0\n"
      "1    lo              ff020000000000000000000000000001     1 0000000C 0\n";
  auto groups = proc::parse_igmp6(text);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].family == AF_INET6);
  CHECK(groups[0].device == "lo");
  CHECK(groups[0].users == 1);
  REQUIRE(groups[0].group.size() == 16);
  CHECK(static_cast<unsigned char>(groups[0].group[0]) == 0xff);
  CHECK(static_cast<unsigned char>(groups[0].group[1]) == 0x15);
  CHECK(static_cast<unsigned char>(groups[0].group[15]) == 0x34);
}

TEST_CASE("igmp: empty or foreign text gives no groups", "[proc][igmp]") {
  CHECK(proc::parse_igmp("").empty());
  CHECK(proc::parse_igmp("\t\t\t\t010000E0     1 0:00000000\t\t0\n").empty());
  CHECK(proc::parse_igmp6("garbage\n").empty());
}
