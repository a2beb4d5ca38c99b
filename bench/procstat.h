// What the server side costs, read from /proc: CPU time and RSS of process
// trees (a server, PostgreSQL's postmaster with its backends, nats-server),
// and the kernel's socket memory.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace messenger::bench {

// CPU seconds (user + system) of `root` and every live descendant, plus what
// the tree's processes have reaped from exited children (cutime/cstime): a
// PostgreSQL backend that exits or a messaging replica killed under a
// restarting shell still counts.
double TreeCpuSeconds(pid_t root);
// Resident set of `root` and its live descendants, in KiB.
int64_t TreeRssKb(pid_t root);
// Live children of `pid`.
std::vector<pid_t> Children(pid_t pid);

// Named groups of process trees: "server" -> {pids}, "postgres" -> {postmaster}, ...
using ProcessGroups = std::map<std::string, std::vector<pid_t>>;
// Parses "server:1,server:2,postgres:3" (the --watch flag).
ProcessGroups ParseProcessGroups(const std::string& spec);

// CPU seconds of each group now.
std::map<std::string, double> GroupCpu(const ProcessGroups& groups);
// The difference of two GroupCpu readings.
std::map<std::string, double> CpuSince(const std::map<std::string, double>& before,
                                       const ProcessGroups& groups);
int64_t GroupRssKb(const ProcessGroups& groups, const std::string& group);

// /proc/net/sockstat of this network namespace (both ends of loopback
// connections count): sockets in use and the pages TCP buffers hold.
struct SockStat {
  int64_t tcp_inuse = 0;
  int64_t tcp_alloc = 0;
  int64_t tcp_mem_kb = 0;  // "mem" pages * page size
  // /proc/slabinfo (whole machine): the kernel objects behind sockets (TCP,
  // sock_inode_cache, filp, dentry, eventpoll_epi), active objects x size.
  int64_t socket_slabs_kb = 0;
};
SockStat ReadSockStat();

}  // namespace messenger::bench
