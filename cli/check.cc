#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/global_options.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "runtime/check.h"
#include "runtime/check_image.h"

namespace ckpt::cli {

namespace {

const char* level_name(check::Level level) {
  switch (level) {
    case check::Level::kOk:
      return "ok";
    case check::Level::kWarn:
      return "limited";
    case check::Level::kMissing:
      return "missing";
  }
  return "?";
}

// First of all: without root, dump, restore and run cannot work at all.
check::Fact user() {
  uid_t uid = ::geteuid();
  if (uid == 0) return {"user", check::Level::kOk, "root"};
  return {"user", check::Level::kMissing,
          fmt::format("uid {}, not root: dump, restore and run need root", uid)};
}

void print(const std::vector<check::Fact>& facts) {
  if (global_options().json) {
    auto out = nlohmann::json::array();
    for (const auto& f : facts)
      out.push_back({{"name", f.name}, {"level", level_name(f.level)}, {"detail", f.detail}});
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  for (const auto& f : facts)
    std::printf("%-18s %-8s %s\n", f.name.c_str(), level_name(f.level), f.detail.c_str());
  std::fflush(stdout);
}

// Exits non-zero (after the report) when something dump or restore needs is missing.
void fail_on_missing(const std::vector<check::Fact>& facts) {
  std::string host, image;
  for (const auto& f : facts) {
    if (f.level != check::Level::kMissing) continue;
    std::string& list = f.name.starts_with("image ") ? image : host;
    list += (list.empty() ? "" : ", ") + f.name;
  }
  if (::geteuid() != 0) fail(ErrorKind::kRefused, "not root: dump, restore and run need root");
  if (!host.empty())
    fail(ErrorKind::kKernel, "this host lacks what checkpoint/restore needs: {}", host);
  if (!image.empty())
    fail(ErrorKind::kHostMissing, "this host cannot restore the image: {}", image);
}

}  // namespace

void add_check(CLI::App& app) {
  auto image = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "check", "Report what this host offers for checkpoint/restore (exit 0: all it needs)");
  cmd->add_option("--image", *image, "Also whether this host can restore this image");
  cmd->callback([image] {
    std::vector<check::Fact> facts{user()};
    try {
      for (auto& f : check::probe_host()) facts.push_back(std::move(f));
      if (!image->empty())
        for (auto& f : check::probe_image(*image)) facts.push_back(std::move(f));
    } catch (const Error& e) {
      if (::geteuid() == 0) throw;
      print({facts.front()});  // a probe that cannot run without root: that is the news
      fail(ErrorKind::kRefused, "not root: dump, restore and run need root ({})", e.what());
    }
    print(facts);
    fail_on_missing(facts);
  });
}

}  // namespace ckpt::cli
