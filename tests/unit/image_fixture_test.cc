// tests/fixtures/image-v1.ckpt is a committed image of format version 1. Every later ckpt must
// still read it (or refuse it with a clear message once version 1 is dropped).
// Regenerate only when its content below changes: unit_tests "[.generate-fixture]".
#include <catch2/catch.hpp>

#include "common/image/describe.h"
#include "common/records/json.h"
#include "image_test_support.h"

using namespace ckpt::image;
using namespace ckpt::records;

namespace {

const std::string kFixture = std::string(CKPT_FIXTURES) + "/image-v1.ckpt";
constexpr uint64_t kInitPid = 31337;

ContainerConfig fixture_config() {
  ContainerConfig c;
  c.id = "fixture";
  c.command = {"/bin/sh", "-c", "while :; do sleep 1; done"};
  c.hostname = "fixture-host";
  c.limits.memory_limit = 64 << 20;
  c.limits.pids_max = 100;
  c.net_specs = {"veth:eth0:10.77.0.2/24"};
  return c;
}

ProcessTree fixture_tree() {
  ProcessTree t;
  ProcessEntry init;
  init.host_pid = kInitPid;
  init.pid = 1;
  init.pgid = 1;
  init.sid = 1;
  init.threads = {{31337, 1}};
  init.comm = "sh";
  init.cmdline = fixture_config().command;
  ProcessEntry child = init;
  child.host_pid = 31338;
  child.pid = 2;
  child.ppid = 1;
  child.threads = {{31338, 2}, {31339, 3}};
  child.comm = "sleep";
  child.cmdline = {"sleep", "1"};
  t.processes = {init, child};
  return t;
}

CgroupTree fixture_cgroups() {
  CgroupTree t;
  t.dumped_on = "v1";
  CgroupNode root;
  root.limits = fixture_config().limits;
  root.members = {{"memory", {1, 2}}, {"pids", {1, 2}}};
  t.nodes = {root};
  return t;
}

// 12 pages, each filled with a pattern derived from its number.
std::string fixture_pages() {
  std::string pages(12 * 4096, '\0');
  for (size_t i = 0; i < pages.size(); ++i) {
    pages[i] = static_cast<char>((i / 4096) * 16 + (i % 251));
  }
  return pages;
}

}  // namespace

TEST_CASE("generate tests/fixtures/image-v1.ckpt", "[.generate-fixture]") {
  Header h = testing::test_header();
  h.container_id = "fixture";
  WriterOptions o;
  o.chunk_size = 16 << 10;
  o.threads = 1;
  ImageWriter w(kFixture, h, o);
  w.put(SectionType::kConfig, 0, fixture_config());
  w.put(SectionType::kUts, 0, UtsState{"fixture-host", "example.org"});
  w.put(SectionType::kProcessTree, 0, fixture_tree());
  w.put(SectionType::kCgroups, 0, fixture_cgroups());
  auto s = w.open_stream(SectionType::kPages, kInitPid);
  std::string pages = fixture_pages();
  s->write(pages.data(), pages.size());
  s->close();
  w.finish();
}

TEST_CASE("image: the committed format v1 fixture still reads") {
  ImageReader r(kFixture);
  r.verify();
  CHECK(r.file_size() < 20 << 10);
  CHECK(r.header().format_version == 1);
  CHECK(r.header().container_id == "fixture");
  CHECK(r.header().kernel == "6.18.0-test");

  nlohmann::json want_config = fixture_config();
  CHECK(nlohmann::json(r.get<ContainerConfig>(SectionType::kConfig, 0)) == want_config);
  auto uts = r.get<UtsState>(SectionType::kUts, 0);
  CHECK(uts.hostname == "fixture-host");
  CHECK(uts.domainname == "example.org");
  CHECK(nlohmann::json(r.get<ProcessTree>(SectionType::kProcessTree, 0)) ==
        nlohmann::json(fixture_tree()));
  CHECK(nlohmann::json(r.get<CgroupTree>(SectionType::kCgroups, 0)) ==
        nlohmann::json(fixture_cgroups()));

  size_t chunks = 0;
  std::string pages;
  r.read_stream(SectionType::kPages, kInitPid, [&](std::span<const std::byte> chunk) {
    pages.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    ++chunks;
  });
  CHECK(chunks == 3);
  CHECK(pages == fixture_pages());
}

TEST_CASE("image: inspect's JSON document describes the fixture") {
  ImageReader r(kFixture);
  nlohmann::json doc = describe_image(r);
  CHECK(doc["header"]["container_id"] == "fixture");
  CHECK(doc["config"]["limits"]["pids_max"] == 100);
  CHECK(doc["config"]["limits"]["cpu_shares"].is_null());
  CHECK(doc["uts"]["domainname"] == "example.org");
  REQUIRE(doc["process_tree"].size() == 2);
  CHECK(doc["process_tree"][1]["comm"] == "sleep");
  CHECK(doc["process_tree"][1]["threads"].size() == 2);
  CHECK(doc["cgroups"]["nodes"][0]["members"]["memory"] == nlohmann::json({1, 2}));
  REQUIRE(doc["sections"].size() == 5);
  const auto& pages = doc["sections"][4];
  CHECK(pages["type"] == "pages");
  CHECK(pages["id"] == kInitPid);
  CHECK(pages["chunks"] == 3);
  CHECK(pages["raw_size"] == 12 * 4096);
  CHECK(pages["stored_size"] < 12 * 4096);
}
