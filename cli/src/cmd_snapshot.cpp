// shoal snapshot IMAGE -o FILE.snap [--ready listen|port:N] [options] [-- ARGS]
// and `shoal inspect FILE.snap`.
//
// The snapshot is made by shoal-vmm itself (--snapshot-out, docs/architecture.md
// "Snapshots"): this command checks the image, runs the monitor as its child
// (so that it can report and clean up), and summarises the file it wrote.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shoal/image/format.hpp>
#include <shoal/image/snapshot.hpp>

#include "commands.hpp"
#include "vmm_build_id.h"

namespace shoal::cli {
namespace {

std::string bytes_text(uint64_t b) {
  char buf[48];
  if (b >= (1ull << 20)) snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1 << 20));
  else snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / 1024);
  return buf;
}

Result<image::Snapshot> load(const std::string& path, uint64_t* file_size) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(path + ": cannot open: " + strerror(errno));
  struct stat st;
  fstat(fd, &st);
  *file_size = static_cast<uint64_t>(st.st_size);
  auto snap = image::read_snapshot(fd, *file_size);
  close(fd);
  if (!snap) return make_error(path + ": " + snap.error().message);
  return snap;
}

const char* variant_name(uint32_t v) {
  switch (v) {
    case 1: return "baseline";
    case 2: return "avx";
    case 3: return "avx512";
  }
  return "?";
}

}  // namespace

bool print_snapshot_summary(const std::string& path) {
  uint64_t size = 0;
  auto snap = load(path, &size);
  if (!snap) {
    fprintf(stderr, "shoal: %s\n", snap.error().message.c_str());
    return false;
  }
  const auto& h = snap->header;
  time_t created = static_cast<time_t>(h.created_realtime_ns / 1000000000ull);
  char when[64];
  struct tm tm;
  gmtime_r(&created, &tm);
  strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
  std::string id = image::fixed_string(h.build_id, sizeof h.build_id);
  printf("snapshot    %s (%s, format version %u)\n", path.c_str(), bytes_text(size).c_str(), h.version);
  printf("image       %s\n", image::fixed_string(h.image_name, sizeof h.image_name).c_str());
  printf("created     %s\n", when);
  printf("build id    %s (%s)\n", id.c_str(),
         id == shoal::vmm::kVmmBuildId ? "this shoal-vmm: resumable" : "another shoal-vmm build: not resumable by this one");
  printf("memory      %s, %llu pages saved in %u ranges (%s of page data)\n", bytes_text(h.memory_size).c_str(),
         static_cast<unsigned long long>(h.saved_pages), h.range_count, bytes_text(h.data_size).c_str());
  printf("cpu         %s%s, XCR0 %#llx, xsave %u bytes\n", variant_name(h.cpu_features), h.cpu_strict ? " (named)" : "",
         static_cast<unsigned long long>(h.xcr0), h.xsave_size);
  printf("ready       port %llu\n", static_cast<unsigned long long>(h.ready_port));
  for (const auto& d : snap->devices)
    printf("device      %s at %#llx, %s\n", image::fixed_string(d.name, sizeof d.name).c_str(),
           static_cast<unsigned long long>(d.guest_addr), bytes_text(d.size).c_str());
  return true;
}

int run_snapshot_command(const SnapshotCommand& c) {
  int fd = open(c.image.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return fail(c.image + ": cannot open: " + strerror(errno));
  auto checked = image::read_image(fd, static_cast<uint64_t>(st.st_size));
  close(fd);
  if (!checked) return fail(c.image + ": " + checked.error().message);
  char resolved[PATH_MAX];
  std::string image = realpath(c.image.c_str(), resolved) ? resolved : c.image;

  std::string vmm = vmm_path();
  std::vector<std::string> args{vmm, "--snapshot-out", c.output, "--snapshot-then", "exit"};
  if (!c.ready.empty()) args.insert(args.end(), {"--ready", c.ready});
  if (!c.memory.empty()) args.insert(args.end(), {"--memory", c.memory});
  if (!c.timeout.empty()) args.insert(args.end(), {"--timeout", c.timeout});
  if (!c.cpu_features.empty()) args.insert(args.end(), {"--cpu-features", c.cpu_features});
  for (const auto& e : c.env) args.insert(args.end(), {"--env", e});
  if (c.verbose) args.push_back("--verbose");
  if (!c.user.empty()) args.insert(args.end(), {"--user", c.user});
  if (c.no_jail) args.push_back("--no-jail");
  args.push_back(image);
  if (!c.args.empty()) {
    args.push_back("--");
    args.insert(args.end(), c.args.begin(), c.args.end());
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return fail(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    execv(vmm.c_str(), argv.data());
    fprintf(stderr, "shoal: %s: cannot execute the monitor: %s\n", vmm.c_str(), strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code != 0) {
    // The monitor replaced FILE with a new, still invalid one: remove it.
    unlink(c.output.c_str());
    fprintf(stderr, "shoal: no snapshot: the monitor ended with status %d\n", code);
    return code;
  }
  return print_snapshot_summary(c.output) ? 0 : 1;
}

}  // namespace shoal::cli
