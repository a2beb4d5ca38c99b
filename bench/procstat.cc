#include "bench/procstat.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace messenger::bench {
namespace {

struct Stat {
  pid_t ppid = 0;
  int64_t ticks = 0;  // utime + stime + cutime + cstime
};

// Fields of /proc/<pid>/stat after the command name (which may hold spaces).
bool ReadStat(pid_t pid, Stat* out) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const size_t close = content.rfind(')');
  if (close == std::string::npos) return false;
  std::vector<std::string> fields = absl::StrSplit(content.substr(close + 2), ' ');
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime 14..17.
  if (fields.size() < 15) return false;
  int64_t v[4] = {};
  for (int i = 0; i < 4; ++i) (void)absl::SimpleAtoi(fields[11 + i], &v[i]);
  (void)absl::SimpleAtoi(fields[1], &out->ppid);
  out->ticks = v[0] + v[1] + v[2] + v[3];
  return true;
}

// Every process: pid -> stat.
std::map<pid_t, Stat> AllProcesses() {
  std::map<pid_t, Stat> out;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return out;
  while (dirent* entry = readdir(dir)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    Stat stat;
    if (ReadStat(pid, &stat)) out[pid] = stat;
  }
  closedir(dir);
  return out;
}

std::vector<pid_t> Tree(pid_t root, const std::map<pid_t, Stat>& all) {
  std::vector<pid_t> tree;
  if (!all.contains(root)) return tree;
  tree.push_back(root);
  for (size_t i = 0; i < tree.size(); ++i) {
    for (const auto& [pid, stat] : all) {
      if (stat.ppid == tree[i]) tree.push_back(pid);
    }
  }
  return tree;
}

int64_t RssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

}  // namespace

double TreeCpuSeconds(pid_t root) {
  const std::map<pid_t, Stat> all = AllProcesses();
  int64_t ticks = 0;
  for (pid_t pid : Tree(root, all)) ticks += all.at(pid).ticks;
  return static_cast<double>(ticks) / sysconf(_SC_CLK_TCK);
}

int64_t TreeRssKb(pid_t root) {
  int64_t kb = 0;
  for (pid_t pid : Tree(root, AllProcesses())) kb += RssKb(pid);
  return kb;
}

std::vector<pid_t> Children(pid_t pid) {
  std::vector<pid_t> out;
  for (const auto& [child, stat] : AllProcesses()) {
    if (stat.ppid == pid) out.push_back(child);
  }
  return out;
}

ProcessGroups ParseProcessGroups(const std::string& spec) {
  ProcessGroups groups;
  for (absl::string_view item : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, ':');
    pid_t pid = 0;
    if (absl::SimpleAtoi(kv.second, &pid) && pid > 0) groups[kv.first].push_back(pid);
  }
  return groups;
}

std::map<std::string, double> GroupCpu(const ProcessGroups& groups) {
  std::map<std::string, double> out;
  for (const auto& [name, pids] : groups) {
    for (pid_t pid : pids) out[name] += TreeCpuSeconds(pid);
  }
  return out;
}

std::map<std::string, double> CpuSince(const std::map<std::string, double>& before,
                                       const ProcessGroups& groups) {
  std::map<std::string, double> now = GroupCpu(groups);
  for (auto& [name, seconds] : now) {
    auto it = before.find(name);
    if (it != before.end()) seconds -= it->second;
  }
  return now;
}

int64_t GroupRssKb(const ProcessGroups& groups, const std::string& group) {
  int64_t kb = 0;
  auto it = groups.find(group);
  if (it == groups.end()) return 0;
  for (pid_t pid : it->second) kb += TreeRssKb(pid);
  return kb;
}

SockStat ReadSockStat() {
  SockStat out;
  std::ifstream file("/proc/net/sockstat");
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind("TCP:", 0) != 0) continue;
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    for (size_t i = 1; i + 1 < f.size(); i += 2) {
      int64_t v = 0;
      (void)absl::SimpleAtoi(f[i + 1], &v);
      if (f[i] == "inuse") out.tcp_inuse = v;
      if (f[i] == "alloc") out.tcp_alloc = v;
      if (f[i] == "mem") out.tcp_mem_kb = v * sysconf(_SC_PAGESIZE) / 1024;
    }
  }
  std::ifstream slabs("/proc/slabinfo");
  while (std::getline(slabs, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() < 4) continue;
    if (f[0] != "TCP" && f[0] != "sock_inode_cache" && f[0] != "filp" && f[0] != "dentry" &&
        f[0] != "eventpoll_epi") {
      continue;
    }
    int64_t active = 0, size = 0;
    if (absl::SimpleAtoi(f[1], &active) && absl::SimpleAtoi(f[3], &size)) {
      out.socket_slabs_kb += active * size / 1024;
    }
  }
  return out;
}

}  // namespace messenger::bench
