// shoal run IMAGE|PROGRAM [options] [-- ARGS...]
//
// An image runs directly; a plain program is first built into the cache
// ($XDG_CACHE_HOME/shoal or ~/.cache/shoal), keyed by a hash of everything
// the image is made of, so a second run starts at once. Running is an execv
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

#include "commands.hpp"
#include "inputs.hpp"

namespace shoal::cli {

namespace {

// Bump when the builder's output changes for the same inputs, so stale cache
// entries are not reused.
constexpr uint32_t kCacheFormat = 3;  // 2: image version 2 (writable directories); 3: devices

// Two independent 64-bit FNV-1a streams: a 128-bit cache key.
class CacheKey {
 public:
  void add(const void* data, size_t len) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < len; ++i) {
      m_a = (m_a ^ p[i]) * 0x100000001b3ull;
      m_b = (m_b ^ p[i]) * 0x100000001b3ull;
      m_b ^= m_b >> 29;
    }
    uint64_t n = len;  // length-prefix-free framing: mix the length in too
    m_a = (m_a ^ n) * 0x100000001b3ull;
  }
  void add(const std::vector<uint8_t>& v) { add(v.data(), v.size()); }
  void add(const std::string& s) { add(s.data(), s.size()); }
  std::string hex() const {
    char buf[40];
    snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(m_a),
             static_cast<unsigned long long>(m_b));
    return buf;
  }

 private:
  uint64_t m_a = 0xcbf29ce484222325ull;
  uint64_t m_b = 0x84222325cbf29ce4ull;
};

std::string cache_dir() {
  const char* xdg = getenv("XDG_CACHE_HOME");
  if (xdg && *xdg == '/') return std::string(xdg) + "/shoal";
  const char* home = getenv("HOME");
  if (home && *home == '/') return std::string(home) + "/.cache/shoal";
  return "/tmp/shoal-cache-" + std::to_string(getuid());
}

Result<void> make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
      return make_error(part + ": cannot create the cache directory: " + strerror(errno), errno);
  }
  return {};
}

bool is_image(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char magic[8] = {};
  bool yes = read(fd, magic, sizeof magic) == sizeof magic && memcmp(magic, abi::kImageMagic, sizeof magic) == 0;
  close(fd);
  return yes;
}

// Builds `c.target` into the cache unless an identical image is there.
Result<std::string> cached_image(const RunCommand& c) {
  uint32_t devices = c.net.empty() ? 0u : static_cast<uint32_t>(abi::kDeviceNet);
  InputOptions o{c.target, c.root, c.writable, "", c.libos, 0, !c.no_rewrite, devices};
  auto in = TRY(gather_inputs(o));
  CacheKey key;
  key.add(&kCacheFormat, sizeof kCacheFormat);
  key.add(in.app.bytes);
  key.add(in.libos.bytes);
  key.add(in.rootfs ? in.rootfs->bytes : std::vector<uint8_t>{});
  for (const auto& w : c.writable) key.add("writable " + w);
  key.add(in.name);
  key.add(std::string(c.no_rewrite ? "no-rewrite" : "rewrite"));
  key.add(&devices, sizeof devices);
  std::string dir = cache_dir();
  TRY(make_dirs(dir));
  std::string path = dir + "/" + in.name + "-" + key.hex() + ".shoal";
  if (access(path.c_str(), R_OK) == 0) return path;
  print_warnings(in);
  auto sum = TRY(builder::assemble_image(in, path));
  if (c.verbose)
    for (const auto& line : sum.lines) fprintf(stderr, "%s\n", line.c_str());
  return path;
}

std::string vmm_path() {
  if (const char* env = getenv("SHOAL_VMM"); env && *env) return env;
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "shoal-vmm";
  std::string dir(exe, static_cast<size_t>(n));
  return dir.substr(0, dir.rfind('/')) + "/shoal-vmm";
}

}  // namespace

int run_run(const RunCommand& c) {
  if (access(c.target.c_str(), R_OK) != 0) return fail(c.target + ": cannot open: " + strerror(errno));
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
  if (c.cpu >= 0) args.insert(args.end(), {"--cpu", std::to_string(c.cpu)});
  if (!c.timeout.empty()) args.insert(args.end(), {"--timeout", c.timeout});
  if (!c.cpu_features.empty()) args.insert(args.end(), {"--cpu-features", c.cpu_features});
  for (const auto& e : c.env) args.insert(args.end(), {"--env", e});
  if (c.verbose) args.push_back("--verbose");
  if (c.timing) args.push_back("--timing");
  if (!c.net.empty()) args.insert(args.end(), {"--net", c.net});
  if (!c.ip.empty()) args.insert(args.end(), {"--ip", c.ip});
  if (!c.gateway.empty()) args.insert(args.end(), {"--gateway", c.gateway});
  if (!c.mac.empty()) args.insert(args.end(), {"--mac", c.mac});
  if (!c.net_impair.empty()) args.insert(args.end(), {"--net-impair", c.net_impair});
  if (!exe.empty()) args.insert(args.end(), {"--exe", exe});
  args.push_back(image);
  if (!c.args.empty()) {
    args.push_back("--");
    args.insert(args.end(), c.args.begin(), c.args.end());
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(vmm.c_str(), argv.data());
  return fail(vmm + ": cannot execute the monitor: " + strerror(errno));
}

}  // namespace shoal::cli
