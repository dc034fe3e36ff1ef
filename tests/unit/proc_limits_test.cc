#include <catch2/catch.hpp>

#include <sys/resource.h>

#include "common/error.h"
#include "common/proc/limits.h"

using namespace ckpt;

TEST_CASE("limits parse in RLIMIT order, unlimited as RLIM_INFINITY") {
  std::string text =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max file size             unlimited            unlimited            bytes     \n"
      "Max data size             unlimited            unlimited            bytes     \n"
      "Max stack size            8388608              unlimited            bytes     \n"
      "Max core file size        0                    unlimited            bytes     \n"
      "Max resident set          unlimited            unlimited            bytes     \n"
      "Max processes             95588                95588                processes \n"
      "Max open files            1024                 524288               files     \n"
      "Max locked memory         8388608              8388608              bytes     \n"
      "Max address space         unlimited            unlimited            bytes     \n"
      "Max file locks            unlimited            unlimited            locks     \n"
      "Max pending signals       95588                95588                signals   \n"
      "Max msgqueue size         819200               819200               bytes     \n"
      "Max nice priority         0                    0                    \n"
      "Max realtime priority     0                    0                    \n"
      "Max realtime timeout      unlimited            unlimited            us        \n";
  auto limits = proc::parse_limits(text, "limits");
  REQUIRE(limits.size() == RLIM_NLIMITS);
  CHECK(limits[RLIMIT_CPU].soft == RLIM_INFINITY);
  CHECK(limits[RLIMIT_STACK].soft == 8388608);
  CHECK(limits[RLIMIT_STACK].hard == RLIM_INFINITY);
  CHECK(limits[RLIMIT_NOFILE].soft == 1024);
  CHECK(limits[RLIMIT_NOFILE].hard == 524288);
  CHECK(limits[RLIMIT_NICE].soft == 0);
  CHECK(limits[RLIMIT_RTTIME].hard == RLIM_INFINITY);
}

TEST_CASE("limits of this process match getrlimit") {
  auto limits = proc::read_limits(::getpid());
  for (int r = 0; r < RLIM_NLIMITS; ++r) {
    rlimit mine{};
    ::getrlimit(static_cast<__rlimit_resource>(r), &mine);
    CHECK(limits[r].soft == mine.rlim_cur);
    CHECK(limits[r].hard == mine.rlim_max);
  }
}

TEST_CASE("a truncated limits file is refused") {
  CHECK_THROWS_AS(proc::parse_limits("Limit Soft Hard Units\nMax cpu time              1 2\n", "x"),
                  Error);
}
