// `ckpt inspect IMG [--json]`: what an image holds, as text for people or as one JSON document
// (our `crit`). Both are rendered from common/image/describe.h.
#include <fmt/format.h>

#include <ctime>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/global_options.h"
#include "common/clock.h"
#include "common/chain/image_chain.h"
#include "common/chain/summary.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/image/describe.h"
#include "common/image/image.h"
#include "common/units.h"

namespace ckpt::cli {
namespace {

using nlohmann::json;

std::string joined(const json& strings) {
  std::string out;
  for (const auto& s : strings) out += (out.empty() ? "" : " ") + s.get<std::string>();
  return out;
}

// "memory_limit=67108864 pids_max=100", only the fields that are set.
std::string set_fields(const json& object) {
  std::string out;
  for (const auto& [key, value] : object.items()) {
    if (value.is_null()) continue;
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", key,
                       value.is_string() ? value.get<std::string>() : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return out.empty() ? "(none)" : out;
}

void print_header(const json& doc, const std::string& path) {
  const json& h = doc["header"];
  fmt::print("image:          {} ({})\n", path, format_size(doc["file_size"].get<uint64_t>()));
  fmt::print("format version: {}\n", h["format_version"].get<uint32_t>());
  fmt::print("container:      {}\n", h["container_id"].get<std::string>());
  fmt::print("created:        {}\n", format_utc(h["created_unix"].get<int64_t>()) + " UTC");
  fmt::print("dumped on:      {} {}, ckpt {}\n", h["arch"].get<std::string>(),
             h["kernel"].get<std::string>(), h["ckpt_version"].get<std::string>());
}

void print_sections(const json& sections) {
  fmt::print("\n{:<14} {:>10} {:>7} {:>12} {:>12} {:>7}\n", "SECTION", "ID", "CHUNKS", "RAW",
             "STORED", "RATIO");
  uint64_t raw_total = 0, stored_total = 0;
  for (const json& s : sections) {
    auto raw = s["raw_size"].get<uint64_t>();
    auto stored = s["stored_size"].get<uint64_t>();
    raw_total += raw;
    stored_total += stored;
    fmt::print("{:<14} {:>10} {:>7} {:>12} {:>12} {:>7.2f}\n", s["type"].get<std::string>(),
               s["id"].get<uint64_t>(), s["chunks"].get<uint64_t>(), format_size(raw),
               format_size(stored), stored ? double(raw) / double(stored) : 1.0);
  }
  fmt::print("{:<14} {:>10} {:>7} {:>12} {:>12} {:>7.2f}\n", "total", "", "", format_size(raw_total),
             format_size(stored_total),
             stored_total ? double(raw_total) / double(stored_total) : 1.0);
}

void print_config(const json& c) {
  fmt::print("\nconfig:\n  id:       {}\n  command:  {}\n  hostname: {}\n  rootfs:   {}\n",
             c["id"].get<std::string>(), joined(c["command"]), c["hostname"].get<std::string>(),
             c["rootfs"].get<std::string>().empty() ? "(host)" : c["rootfs"].get<std::string>());
  fmt::print("  limits:   {}\n  net:      {}\n", set_fields(c["limits"]), joined(c["net_specs"]));
}

void print_uts(const json& u) {
  fmt::print("\nuts: hostname={} domainname={}\n", u["hostname"].get<std::string>(),
             u["domainname"].get<std::string>());
}

void print_process_tree(const json& processes) {
  fmt::print("\nprocess tree:\n  {:>6} {:>6} {:>6} {:>6} {:>9} {:>7}  {:<16} {}\n", "PID", "PPID",
             "PGID", "SID", "HOST PID", "THREADS", "COMM", "CMDLINE");
  for (const json& p : processes) {
    fmt::print("  {:>6} {:>6} {:>6} {:>6} {:>9} {:>7}  {:<16} {}\n", p["pid"].get<int>(),
               p["ppid"].get<int>(), p["pgid"].get<int>(), p["sid"].get<int>(),
               p["host_pid"].get<int>(), p["threads"].size(), p["comm"].get<std::string>(),
               joined(p["cmdline"]));
  }
}

void print_cgroups(const json& tree) {
  fmt::print("\ncgroups (dumped on {}):\n", tree["dumped_on"].get<std::string>());
  for (const json& node : tree["nodes"]) {
    std::string path = node["path"].get<std::string>();
    fmt::print("  /{}: {}; members {}\n", path, set_fields(node["limits"]), node["members"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

void print_mounts(const json& ns) {
  fmt::print("\nmounts:\n");
  for (const json& m : ns["mounts"]) {
    if (m["kind"] == "host") continue;
    std::string from = m["host_path"].get<std::string>();
    fmt::print("  {:<24} {:<14} {:<8} {}{}\n", m["mount_point"].get<std::string>(),
               m["kind"].get<std::string>(), m["fstype"].get<std::string>(),
               from.empty() ? "" : "from " + from + " ",
               m["has_contents"].get<bool>() ? "(contents stored)" : "");
  }
}

// The image's place in a chain of incremental images, newest first, with what each holds.
void print_chain(const json& doc) {
  if (!doc.contains("chain")) return;
  fmt::print("\nchain ({} images, newest first){}:\n", doc["chain"].size(),
             doc.contains("chain_error") ? "; BROKEN: " + doc["chain_error"].get<std::string>()
                                         : "");
  fmt::print("  {:<44} {:<23} {:>11} {:>11} {:>11}  {}\n", "IMAGE", "CREATED", "FILE",
             "PAGES HELD", "MEMORY", "PARENT");
  for (const json& l : doc["chain"])
    fmt::print("  {:<44} {:<23} {:>11} {:>11} {:>11}  {}\n", l["path"].get<std::string>(),
               format_utc(l["created_unix"].get<int64_t>()) + " UTC", format_size(l["file_size"].get<uint64_t>()),
               format_size(l["stored_bytes"].get<uint64_t>()),
               format_size(l["memory_bytes"].get<uint64_t>()),
               l["parent"].is_null() ? "(full)" : l["parent"].get<std::string>());
}

// The chain of `path`: every image it can open, and why it stops where it does.
void add_chain(json& doc, const std::string& path, const image::ImageReader& reader) {
  try {
    chain::ImageChain chain(path);
    doc["chain"] = json::array();
    for (size_t i = 0; i < chain.size(); ++i)
      doc["chain"].push_back(chain::summarize(chain.image(i), chain.path(i)));
  } catch (const Error& e) {
    doc["chain"] = json::array({chain::summarize(reader, path)});
    doc["chain_error"] = e.what();
  }
}

void print_text(const json& doc, const std::string& path) {
  print_header(doc, path);
  print_chain(doc);
  print_sections(doc["sections"]);
  if (doc.contains("config")) print_config(doc["config"]);
  if (doc.contains("uts")) print_uts(doc["uts"]);
  if (doc.contains("process_tree")) print_process_tree(doc["process_tree"]);
  if (doc.contains("cgroups")) print_cgroups(doc["cgroups"]);
  if (doc.contains("mounts")) print_mounts(doc["mounts"]);
}

}  // namespace

void add_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Show what an image holds");
  auto path = std::make_shared<std::string>();
  cmd->add_option("image", *path, "Image file (- reads stdin)")->required();
  cmd->callback([path] {
    image::ImageReader reader(*path);
    json doc = classify_errors(ErrorKind::kImage, [&] { return image::describe_image(reader); });
    if (*path != "-") add_chain(doc, *path, reader);
    if (global_options().json) {
      std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
      print_text(doc, *path);
    }
    // What is shown was decoded; a damaged part elsewhere (pages, files) still fails the command.
    classify_errors(ErrorKind::kImage, [&] {
      reader.verify();
      return true;
    });
  });
}

}  // namespace ckpt::cli
