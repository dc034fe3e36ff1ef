#include "common/proc/sysvipc.h"

#include <map>
#include <sstream>

#include "common/error.h"
#include "common/fs.h"

namespace ckpt::proc {

namespace {

// One data line of a sysvipc file, its columns by header name.
class Row {
 public:
  Row(std::map<std::string, std::string> cells, std::string where)
      : cells_(std::move(cells)), where_(std::move(where)) {}

  template <typename T>
  T number(const std::string& column, int base = 10) const {
    auto it = cells_.find(column);
    if (it == cells_.end()) fail("{}: no column '{}'", where_, column);
    try {
      size_t used = 0;
      long long v = std::stoll(it->second, &used, base);
      if (used != it->second.size()) throw std::invalid_argument(it->second);
      return static_cast<T>(v);
    } catch (const std::exception&) {
      fail("{}: column '{}' is not a number: '{}'", where_, column, it->second);
    }
  }
  // 0 when the column is absent (older kernels lack rss/swap).
  uint64_t optional_number(const std::string& column) const {
    return cells_.count(column) ? number<uint64_t>(column) : 0;
  }

 private:
  std::map<std::string, std::string> cells_;
  std::string where_;
};

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

std::vector<Row> parse_rows(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) fail("{}: empty, no header line", origin);
  auto header = split_words(line);
  std::vector<Row> rows;
  for (int line_no = 2; std::getline(in, line); ++line_no) {
    auto words = split_words(line);
    if (words.empty()) continue;
    auto where = origin + " line " + std::to_string(line_no);
    if (words.size() != header.size())
      fail("{}: {} columns, the header has {}", where, words.size(), header.size());
    std::map<std::string, std::string> cells;
    for (size_t i = 0; i < header.size(); ++i) cells[header[i]] = words[i];
    rows.emplace_back(std::move(cells), where);
  }
  return rows;
}

SysvIpcOwner parse_owner(const Row& row, const std::string& id_column) {
  SysvIpcOwner o;
  o.key = row.number<int32_t>("key");
  o.id = row.number<int32_t>(id_column);
  o.perms = row.number<uint32_t>("perms", 8);
  o.uid = row.number<uint32_t>("uid");
  o.gid = row.number<uint32_t>("gid");
  o.cuid = row.number<uint32_t>("cuid");
  o.cgid = row.number<uint32_t>("cgid");
  return o;
}

}  // namespace

std::vector<SysvShmEntry> parse_sysvipc_shm(const std::string& text, const std::string& origin) {
  std::vector<SysvShmEntry> out;
  for (const Row& row : parse_rows(text, origin)) {
    out.push_back({parse_owner(row, "shmid"), row.number<uint64_t>("size"),
                   row.number<uint64_t>("nattch"), row.optional_number("rss"),
                   row.optional_number("swap")});
  }
  return out;
}

std::vector<SysvMsgEntry> parse_sysvipc_msg(const std::string& text, const std::string& origin) {
  std::vector<SysvMsgEntry> out;
  for (const Row& row : parse_rows(text, origin)) {
    out.push_back(
        {parse_owner(row, "msqid"), row.number<uint64_t>("cbytes"), row.number<uint64_t>("qnum")});
  }
  return out;
}

std::vector<SysvSemEntry> parse_sysvipc_sem(const std::string& text, const std::string& origin) {
  std::vector<SysvSemEntry> out;
  for (const Row& row : parse_rows(text, origin))
    out.push_back({parse_owner(row, "semid"), row.number<uint32_t>("nsems")});
  return out;
}

std::vector<SysvShmEntry> read_sysvipc_shm(const std::string& proc_root) {
  auto path = proc_root + "/sysvipc/shm";
  return parse_sysvipc_shm(fs::read_file(path), path);
}

std::vector<SysvMsgEntry> read_sysvipc_msg(const std::string& proc_root) {
  auto path = proc_root + "/sysvipc/msg";
  return parse_sysvipc_msg(fs::read_file(path), path);
}

std::vector<SysvSemEntry> read_sysvipc_sem(const std::string& proc_root) {
  auto path = proc_root + "/sysvipc/sem";
  return parse_sysvipc_sem(fs::read_file(path), path);
}

}  // namespace ckpt::proc
