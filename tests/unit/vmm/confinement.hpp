// Reading a running monitor's confinement from /proc, for the jail tests
// (tests/unit/vmm/jail_boot_test.cpp, tests/pool/jail_test.cpp). The tests run
// as root, so /proc/PID/{fd,ns,root} of a monitor that switched to another
// uid stay readable.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace shoal::test {

// "Name:\tvalue" lines of /proc/PID/status; empty if the process is gone.
inline std::map<std::string, std::string> proc_status(pid_t pid) {
  std::map<std::string, std::string> fields;
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t v = line.find_first_not_of(" \t", colon + 1);
    fields[line.substr(0, colon)] = v == std::string::npos ? "" : line.substr(v);
  }
  return fields;
}

// Waits until the monitor has installed its seccomp filter (Seccomp: 2): by
// then its set-up, jail included, is over and the guest runs.
inline bool wait_until_confined(pid_t pid, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    auto st = proc_status(pid);
    if (st.empty()) return false;
    if (st["Seccomp"] == "2") return true;
    usleep(10000);
  }
  return false;
}

inline std::string read_link(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

// fd number -> link target of every descriptor the process holds.
inline std::map<int, std::string> proc_fds(pid_t pid) {
  std::map<int, std::string> fds;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return fds;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    fds[atoi(e->d_name)] = read_link(dir + "/" + e->d_name);
  }
  closedir(d);
  return fds;
}

inline std::string describe(const std::map<int, std::string>& fds) {
  std::ostringstream s;
  for (const auto& [fd, target] : fds) s << "  " << fd << " -> " << target << "\n";
  return s.str();
}

// Entries of the process's root directory as it sees it.
inline std::vector<std::string> root_entries(pid_t pid) {
  std::vector<std::string> names;
  DIR* d = opendir(("/proc/" + std::to_string(pid) + "/root/").c_str());
  if (d == nullptr) return {"<cannot open /proc/PID/root>"};
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  return names;
}

// Everything docs/security.md promises of a running, root-started monitor:
// no capability in any set, the unprivileged uid/gid, no supplementary
// groups, no_new_privs, seccomp, its own mount/IPC/UTS namespaces, an empty
// root. `uid`/`gid`: the identity it should have switched to.
inline void expect_confined(pid_t pid, unsigned uid, unsigned gid) {
  auto st = proc_status(pid);
  ASSERT_FALSE(st.empty()) << "monitor " << pid << " is gone";
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    EXPECT_EQ(st[set], "0000000000000000") << set;
  std::string u = std::to_string(uid), g = std::to_string(gid);
  EXPECT_EQ(st["Uid"], u + "\t" + u + "\t" + u + "\t" + u);
  EXPECT_EQ(st["Gid"], g + "\t" + g + "\t" + g + "\t" + g);
  EXPECT_EQ(st["Groups"], "");
  EXPECT_EQ(st["NoNewPrivs"], "1");
  EXPECT_EQ(st["Seccomp"], "2");
  for (const char* ns : {"mnt", "ipc", "uts"}) {
    std::string mine = read_link(std::string("/proc/self/ns/") + ns);
    std::string its = read_link("/proc/" + std::to_string(pid) + "/ns/" + ns);
    EXPECT_FALSE(its.empty()) << ns;
    EXPECT_NE(its, mine) << "the monitor shares the " << ns << " namespace of its launcher";
  }
  auto entries = root_entries(pid);
  EXPECT_TRUE(entries.empty()) << "the monitor's root holds " << entries.size() << " entries, e.g. "
                               << (entries.empty() ? "" : entries[0]);
}

}  // namespace shoal::test
