#include <catch2/catch.hpp>

#include "ckpt/pages_precopy.h"

namespace {

using ckpt::dump::PageCopy;
using ckpt::dump::PagePool;
using ckpt::dump::plan_final_round;
using ckpt::dump::SavedRun;
using ckpt::proc::PageRange;

constexpr uint64_t P = 4096;
constexpr uint64_t kBase = 0x10000000;

uint64_t page(uint64_t n) {
  return kBase + n * P;
}

// (first page, pages) of each extent, relative to kBase.
std::vector<std::pair<uint64_t, uint64_t>> shape(const std::vector<PageCopy>& extents) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto& e : extents) out.push_back({(e.address - kBase) / P, e.pages});
  return out;
}

}  // namespace

TEST_CASE("final round reuses clean pre-copied pages and reads written and new ones") {
  static char copied_bytes[8 * P];
  // Pages 0-7 were pre-copied; pages 2-3 written since; pages 8-9 appeared after the pre-copy.
  std::vector<PageCopy> copied{{page(0), 8, copied_bytes, true}};
  std::vector<PageRange> clean{{page(0), page(2)}, {page(4), page(16)}};
  std::vector<SavedRun> runs{{page(1), 9, true}};  // pages 1-9 must be saved now
  PagePool pool;
  auto plan = plan_final_round(runs, copied, clean, pool);

  CHECK(shape(plan.extents) ==
        std::vector<std::pair<uint64_t, uint64_t>>{{1, 1}, {2, 2}, {4, 4}, {8, 2}});
  CHECK(shape(plan.to_read) == std::vector<std::pair<uint64_t, uint64_t>>{{2, 2}, {8, 2}});
  CHECK(shape(plan.kept) == std::vector<std::pair<uint64_t, uint64_t>>{{1, 1}, {4, 4}});
  CHECK(plan.extents[0].data == copied_bytes + P);      // page 1 kept from the pre-copy
  CHECK(plan.extents[1].data == copied_bytes + 2 * P);  // pages 2-3 read again in place
  CHECK(plan.extents[2].data == copied_bytes + 4 * P);
  CHECK(plan.extents[3].data != nullptr);  // new pages get a slot of their own
  for (const auto& e : plan.extents) CHECK(e.skip_zero);
}

TEST_CASE("final round without a pre-copy reads every run into the pool") {
  std::vector<SavedRun> runs{{page(0), 3, true}, {page(10), 2, false}};
  PagePool pool;
  auto plan = plan_final_round(runs, {}, {}, pool);
  CHECK(shape(plan.extents) == std::vector<std::pair<uint64_t, uint64_t>>{{0, 3}, {10, 2}});
  CHECK(shape(plan.to_read) == shape(plan.extents));
  CHECK(plan.extents[0].data + 3 * P == plan.extents[1].data);  // consecutive slots
  CHECK_FALSE(plan.extents[1].skip_zero);
}

TEST_CASE("pre-copied pages that are no longer mapped are not saved") {
  static char copied_bytes[4 * P];
  std::vector<PageCopy> copied{{page(0), 4, copied_bytes, true}};
  std::vector<PageRange> clean{{page(0), page(4)}};
  std::vector<SavedRun> runs{{page(3), 1, true}};
  PagePool pool;
  auto plan = plan_final_round(runs, copied, clean, pool);
  CHECK(shape(plan.extents) == std::vector<std::pair<uint64_t, uint64_t>>{{3, 1}});
  CHECK(plan.extents[0].data == copied_bytes + 3 * P);
  CHECK(plan.to_read.empty());
}

TEST_CASE("final round of an incremental dump: pages found unchanged stay in the parent unless "
          "written since") {
  static char copied_bytes[2 * P];
  // Pages 0-3 equal the parent's (not copied), 4-5 differ (copied); page 1 and 5 written since.
  std::vector<PageCopy> copied{{page(0), 4, nullptr, true, true}, {page(4), 2, copied_bytes, true}};
  std::vector<PageRange> clean{{page(0), page(1)}, {page(2), page(5)}};
  std::vector<SavedRun> runs{{page(0), 6, true}};
  PagePool pool;
  auto plan = plan_final_round(runs, copied, clean, pool);
  CHECK(shape(plan.extents) ==
        std::vector<std::pair<uint64_t, uint64_t>>{{0, 1}, {1, 1}, {2, 2}, {4, 1}, {5, 1}});
  CHECK(plan.extents[0].in_parent);
  CHECK_FALSE(plan.extents[1].in_parent);  // written since: read now into a slot of its own
  CHECK(plan.extents[1].data != nullptr);
  CHECK(plan.extents[2].in_parent);
  CHECK(plan.extents[3].data == copied_bytes);
  CHECK(shape(plan.to_read) == std::vector<std::pair<uint64_t, uint64_t>>{{1, 1}, {5, 1}});
}
