// shoal run IMAGE|PROGRAM|SNAPSHOT [options] [-- ARGS...]
//
// A snapshot (shoal snapshot) is resumed by shoal-vmm with this instance's
// devices, timeout and identity.
// An image runs directly; a plain program is first built into the cache
// (image_cache.hpp: $XDG_CACHE_HOME/shoal or ~/.cache/shoal, keyed by the
// identity and the content of everything the image is made of, each image
// checked against the digest recorded when it was built), so a second run
// starts at once. Running is an execv
// of shoal-vmm (found next to this binary): no fork, the guest's exit status
// is the process's exit status.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <limits.h>

#include <shoal/abi/image.h>
#include <shoal/image/format.hpp>
#include <shoal/image/snapshot.hpp>

#include "commands.hpp"
#include "image_cache.hpp"

namespace shoal::cli {

namespace {

bool is_snapshot(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  uint8_t magic[8] = {};
  bool yes = read(fd, magic, sizeof magic) == sizeof magic && image::is_snapshot_magic(magic);
  close(fd);
  return yes;
}

bool is_image(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char magic[8] = {};
  bool yes = read(fd, magic, sizeof magic) == sizeof magic && memcmp(magic, abi::kImageMagic, sizeof magic) == 0;
  close(fd);
  return yes;
}

}  // namespace

std::string vmm_path() {
  if (const char* env = getenv("SHOAL_VMM"); env && *env) return env;
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "shoal-vmm";
  std::string dir(exe, static_cast<size_t>(n));
  return dir.substr(0, dir.rfind('/')) + "/shoal-vmm";
}

namespace {

// What an instance chooses whether it boots or resumes: pinning, timeout,
// reporting, its network device and identity.
void add_instance_options(std::vector<std::string>& args, const RunCommand& c) {
  if (c.cpu >= 0) args.insert(args.end(), {"--cpu", std::to_string(c.cpu)});
  if (!c.timeout.empty()) args.insert(args.end(), {"--timeout", c.timeout});
  if (!c.max_processes.empty()) args.insert(args.end(), {"--max-processes", c.max_processes});
  if (c.verbose) args.push_back("--verbose");
  if (c.timing) args.push_back("--timing");
  if (!c.net.empty()) args.insert(args.end(), {"--net", c.net});
  if (!c.ip.empty()) args.insert(args.end(), {"--ip", c.ip});
  if (!c.gateway.empty()) args.insert(args.end(), {"--gateway", c.gateway});
  if (!c.ip6.empty()) args.insert(args.end(), {"--ip6", c.ip6});
  if (!c.mac.empty()) args.insert(args.end(), {"--mac", c.mac});
  if (!c.net_impair.empty()) args.insert(args.end(), {"--net-impair", c.net_impair});
  if (!c.user.empty()) args.insert(args.end(), {"--user", c.user});
  if (c.no_jail) args.push_back("--no-jail");
}

// Replaces this process with the monitor; returns only on failure.
int exec_monitor(const std::string& vmm, std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(vmm.c_str(), argv.data());
  return fail(vmm + ": cannot execute the monitor: " + strerror(errno));
}

// shoal run FILE.snap: the snapshot fixes memory, environment and arguments
// (and the family region's size: its page tables map the region);
// this instance chooses its devices, timeout, CPU pinning and identity.
int run_snapshot(const RunCommand& c) {
  if (!c.memory.empty() || !c.env.empty() || !c.args.empty() || !c.cpu_features.empty() || !c.shm_size.empty())
    return fail(c.target +
                " is a snapshot: --memory, --shm-size, --env, --cpu-features and program arguments are fixed in it");
  if (!c.root.empty() || !c.writable.empty() || !c.include.empty() || !c.add.empty() || c.busybox_links ||
      !c.libos.empty() || c.no_rewrite || c.allow_wx)
    return fail(c.target + " is a snapshot: the build options apply to programs only");
  std::string vmm = vmm_path();
  std::vector<std::string> args{vmm};
  add_instance_options(args, c);
  args.push_back(c.target);
  return exec_monitor(vmm, args);
}

}  // namespace

int run_run(const RunCommand& c) {
  if (access(c.target.c_str(), R_OK) != 0) return fail(c.target + ": cannot open: " + strerror(errno));
  if (is_snapshot(c.target)) return run_snapshot(c);
  std::string image = c.target;
  std::string exe;  // for a program built on the fly, the guest's /proc/self/exe is the program
  if (is_image(c.target)) {
    if (!c.root.empty() || !c.writable.empty())
      return fail("--root and --writable apply when running a program; the image " + c.target +
                  " carries its own root filesystem");
  } else {
    auto built = cached_image(c);
    if (!built) return fail(built.error().message);
    image = built.value();
    char program[PATH_MAX];
    if (realpath(c.target.c_str(), program) != nullptr) exe = program;
  }
  // Refuse a bad image here, with the usage/build status, rather than in the
  // monitor; and hand the monitor an absolute path (the guest sees it as
  // /proc/self/exe, which glibc expects to be absolute).
  int fd = open(image.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return fail(image + ": cannot open: " + strerror(errno));
  auto checked = image::read_image(fd, static_cast<uint64_t>(st.st_size));
  close(fd);
  if (!checked) return fail(image + ": " + checked.error().message);
  char resolved[PATH_MAX];
  if (realpath(image.c_str(), resolved) != nullptr) image = resolved;

  std::string vmm = vmm_path();
  std::vector<std::string> args{vmm};
  if (!c.memory.empty()) args.insert(args.end(), {"--memory", c.memory});
  if (!c.shm_size.empty()) args.insert(args.end(), {"--shm-size", c.shm_size});
  if (!c.cpu_features.empty()) args.insert(args.end(), {"--cpu-features", c.cpu_features});
  for (const auto& e : c.env) args.insert(args.end(), {"--env", e});
  if (!exe.empty()) args.insert(args.end(), {"--exe", exe});
  add_instance_options(args, c);
  args.push_back(image);
  if (!c.args.empty()) {
    args.push_back("--");
    args.insert(args.end(), c.args.begin(), c.args.end());
  }
  return exec_monitor(vmm, args);
}

}  // namespace shoal::cli
