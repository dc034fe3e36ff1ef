#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/records/cgroup.h"
#include "common/records/container.h"
#include "common/records/tree.h"
#include "common/records/uts.h"
#include "image_test_support.h"

using namespace ckpt::image;
using namespace ckpt::image::testing;
using ckpt::records::UtsState;

TEST_CASE("image: records and byte sections round-trip") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  ckpt::records::ContainerConfig config;
  config.id = "c1";
  config.command = {"/bin/sh", "-c", "sleep 1000"};
  config.limits.memory_limit = 64 << 20;
  config.net_specs = {"veth:eth0:10.0.0.2/24"};
  ckpt::records::ProcessTree tree;
  ckpt::records::ProcessEntry init;
  init.host_pid = 4242;
  init.pid = 1;
  init.threads = {{4242, 1}};
  init.comm = "sh";
  tree.processes.push_back(init);
  std::string big(100000, 'x');  // compressible: must come back the same
  {
    ImageWriter w(path, test_header());
    w.put(SectionType::kConfig, 0, config);
    w.put(SectionType::kUts, 0, UtsState{"box", "example.org"});
    w.put(SectionType::kProcessTree, 0, tree);
    w.put_bytes(SectionType::kFileData, 7, big);
    w.put_bytes(SectionType::kFileData, 9, std::string());
    w.finish();
  }
  ImageReader r(path);
  CHECK(r.header().container_id == "test-container");
  CHECK(r.header().kernel == "6.18.0-test");
  CHECK(r.header().format_version == kFormatVersion);
  auto got = r.get<ckpt::records::ContainerConfig>(SectionType::kConfig, 0);
  CHECK(got.command == config.command);
  CHECK(got.limits.memory_limit == config.limits.memory_limit);
  CHECK(got.net_specs == config.net_specs);
  CHECK(r.get<UtsState>(SectionType::kUts, 0).domainname == "example.org");
  auto t = r.get<ckpt::records::ProcessTree>(SectionType::kProcessTree, 0);
  REQUIRE(t.processes.size() == 1);
  CHECK(t.processes[0].host_pid == 4242);
  CHECK(t.processes[0].comm == "sh");
  CHECK(r.get_bytes(SectionType::kFileData, 7) == big);
  CHECK(r.get_bytes(SectionType::kFileData, 9).empty());
  CHECK(r.ids(SectionType::kFileData) == std::vector<uint64_t>{7, 9});
  CHECK(r.has(SectionType::kUts, 0));
  CHECK_FALSE(r.has(SectionType::kUts, 1));
  CHECK_THROWS_AS(r.get_bytes(SectionType::kNetNs, 0), ckpt::Error);
  r.verify();

  const auto& sections = r.sections();
  REQUIRE(sections.size() == 5);
  CHECK(sections[3].flags & kCompressed);
  CHECK(sections[3].stored_size < 1000);
  CHECK(sections[3].raw_size == big.size());
  CHECK_FALSE(sections[4].flags & kCompressed);
}

TEST_CASE("image: small payloads and level 0 are stored raw") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  {
    WriterOptions o;
    o.zstd_level = 0;
    ImageWriter w(path, test_header(), o);
    w.put_bytes(SectionType::kFileData, 1, std::string(10000, 'a'));
    w.finish();
  }
  ImageReader r(path);
  CHECK_FALSE(r.sections().at(0).flags & kCompressed);
  CHECK(r.get_bytes(SectionType::kFileData, 1) == std::string(10000, 'a'));
}

TEST_CASE("image: writer refuses a section written twice and the reserved trailer type") {
  TempDir dir;
  ImageWriter w(dir.file("img.ckpt"), test_header());
  w.put_bytes(SectionType::kFileData, 1, std::string("a"));
  CHECK_THROWS_AS(w.put_bytes(SectionType::kFileData, 1, std::string("b")), ckpt::Error);
  CHECK_THROWS_AS(w.put_bytes(SectionType::kTrailer, 0, std::string("b")), ckpt::Error);
}

TEST_CASE("image: make_header describes this host") {
  Header h = make_header("c9");
  CHECK(h.container_id == "c9");
  CHECK_FALSE(h.arch.empty());
  CHECK_FALSE(h.kernel.empty());
  CHECK_FALSE(h.ckpt_version.empty());
  CHECK(h.created_unix > 1600000000);
}
