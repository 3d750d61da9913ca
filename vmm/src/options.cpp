#include "options.hpp"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "guest_env.hpp"

namespace shoal::vmm {

Result<uint64_t> parse_size(const std::string& text) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return make_error("invalid size '" + text + "'");
  size_t pos = 0;
  uint64_t value = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    uint64_t digit = static_cast<uint64_t>(text[pos] - '0');
    if (value > (UINT64_MAX - digit) / 10) return make_error("size '" + text + "' is too large");
    value = value * 10 + digit;
    ++pos;
  }
  unsigned shift = 0;
  if (pos < text.size()) {
    switch (text[pos]) {
      case 'k': case 'K': shift = 10; break;
      case 'm': case 'M': shift = 20; break;
      case 'g': case 'G': shift = 30; break;
      default: return make_error("invalid size suffix in '" + text + "' (use K, M or G)");
    }
    ++pos;
    if (pos < text.size() && (text[pos] == 'i' || text[pos] == 'I')) ++pos;
    if (pos < text.size() && (text[pos] == 'b' || text[pos] == 'B')) ++pos;
  }
  if (pos != text.size()) return make_error("invalid size '" + text + "'");
  if (shift && value > (UINT64_MAX >> shift)) return make_error("size '" + text + "' is too large");
  value <<= shift;
  if (value == 0) return make_error("size '" + text + "' is zero");
  return value;
}

std::vector<int> ParsedOptions::inherited_fds() const {
  std::vector<int> fds;
  if (options.start_on_fd >= 0) fds.push_back(options.start_on_fd);
  if (options.zygote_fd >= 0) fds.push_back(options.zygote_fd);
  for (const auto& d : devices) {
    auto more = d->inherited_fds();
    fds.insert(fds.end(), more.begin(), more.end());
  }
  return fds;
}

ParsedOptions parse_options(int argc, char** argv, DeviceList devices) {
  ParsedOptions out;
  out.devices = std::move(devices);
  Options& o = out.options;
  CLI::App app{"shoal-vmm: run one shoal unikernel image under KVM", "shoal-vmm"};
  std::string memory;
  int cpu = -1;
  std::string cpu_features;
  std::string huge_pages;
  app.add_option("--memory", memory, "guest memory (default: the image's, else 512M; K/M/G suffixes)");
  app.add_option("--cpu", cpu, "pin the monitor and its vCPU to host CPU N");
  app.add_option("--cpu-features", cpu_features,
                 "baseline|avx|avx512|host: the guest's XCR0 and CPUID (x87+SSE; +AVX/AVX2; +AVX-512). "
                 "Default host: the best the host offers; a variant it lacks is an error (status 2)");
  app.add_option("--timeout", o.timeout_s, "end the instance after SEC seconds (status 124)");
  app.add_option("--env", o.env,
                 "K=V sets K in the guest environment, K alone removes it (repeatable). The default "
                 "environment is HOME=/ PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "
                 "LANG=C.UTF-8; nothing of the host's is passed")
      ->allow_extra_args(false);
  app.add_flag("--verbose", o.verbose, "describe the set-up; the LibOS names unimplemented system calls");
  app.add_option("--huge-pages", huge_pages,
                 "auto|never: back the guest's large mappings (>= 4 MiB) with host huge pages (default auto: "
                 "first touch at native speed; the boot working set stays in small pages)");
  app.add_flag("--ksm", o.ksm,
               "let the host's KSM merge guest pages identical to other instances' (MADV_MERGEABLE; idle "
               "instances of one image share most of their private pages once ksmd has scanned them)");
  app.add_flag("--timing", o.timing, "print start-up timing and peak memory to stderr at exit");
  app.add_option("--exe", o.exe_path,
                 "absolute path the guest sees as /proc/self/exe and AT_EXECFN (default: the image's)");
  // The devices' options, in list order (--channel, then --net and its company).
  for (const auto& d : out.devices) d->add_options(app);
  app.add_option("--user", o.user,
                 "USER[:GROUP] (names or ids) the monitor switches to when started as root, after its set-up "
                 "(default: nobody)");
  app.add_flag("--no-jail", o.no_jail,
               "debugging: keep the launcher's uid, capabilities and namespaces (seccomp still applies)");
  std::string ready, snapshot_then;
  app.add_option("--snapshot-out", o.snapshot_out,
                 "boot the image and save a snapshot to FILE at its ready point (a listening socket)");
  app.add_option("--ready", ready, "listen|port:N: the ready point for --snapshot-out (default listen: any port)");
  app.add_option("--snapshot-then", snapshot_then,
                 "exit|run: after the save, end (status 0; the default) or go on serving");
  app.add_option("--start-on-fd", o.start_on_fd,
                 "resuming a snapshot: set everything up, then wait until descriptor N is readable or closed");
  app.add_option("--max-processes", o.max_processes,
                 "the processes a guest's fork may make, the first included (default 64, at most 1024); past it "
                 "fork fails with EAGAIN")
      ->check(CLI::Range(1, 1024));
  app.add_option("--zygote-fd", o.zygote_fd,
                 "with a snapshot: prepare it once, then start one monitor per request on the socket N "
                 "(shoald's template monitors)");
  app.add_option("image", o.image, "the .shoal image, or a snapshot (.snap) to resume")->required();
  app.add_option("args", o.args, "arguments for the program (after --)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    out.exit_status = app.exit(e);
    if (*out.exit_status != 0) *out.exit_status = 2;
    return out;
  }
  if (!memory.empty()) {
    auto size = parse_size(memory);
    if (!size) {
      fprintf(stderr, "shoal-vmm: --memory: %s\n", size.error().message.c_str());
      out.exit_status = 2;
      return out;
    }
    o.memory = size.value();
  }
  if (cpu >= 0) o.cpu = cpu;
  o.cpu_features_given = !cpu_features.empty();
  if (!ready.empty()) {
    char* end = nullptr;
    unsigned long port = ready.rfind("port:", 0) == 0 ? strtoul(ready.c_str() + 5, &end, 10) : 0;
    if (ready == "listen") {
      o.ready_port = 0;
    } else if (end != nullptr && *end == 0 && ready.size() > 5 && port >= 1 && port <= 65535) {
      o.ready_port = static_cast<uint32_t>(port);
    } else {
      fprintf(stderr, "shoal-vmm: --ready %s: expected listen or port:N (1-65535)\n", ready.c_str());
      out.exit_status = 2;
      return out;
    }
  }
  if (!snapshot_then.empty()) {
    if (snapshot_then != "exit" && snapshot_then != "run") {
      fprintf(stderr, "shoal-vmm: --snapshot-then %s: expected exit or run\n", snapshot_then.c_str());
      out.exit_status = 2;
      return out;
    }
    o.snapshot_then_exit = snapshot_then == "exit";
  }
  if (o.snapshot_out.empty() && (!ready.empty() || !snapshot_then.empty())) {
    fprintf(stderr, "shoal-vmm: --ready and --snapshot-then need --snapshot-out\n");
    out.exit_status = 2;
    return out;
  }
  if (o.start_on_fd >= 0 && o.start_on_fd <= 2) {
    fprintf(stderr, "shoal-vmm: --start-on-fd %d: not one of the standard descriptors\n", o.start_on_fd);
    out.exit_status = 2;
    return out;
  }
  if (o.zygote_fd >= 0 && (o.zygote_fd <= 2 || o.start_on_fd >= 0)) {
    fprintf(stderr, "shoal-vmm: --zygote-fd %d: not a standard descriptor, and not with --start-on-fd\n",
            o.zygote_fd);
    out.exit_status = 2;
    return out;
  }
  if (!huge_pages.empty()) {
    if (huge_pages != "auto" && huge_pages != "never") {
      fprintf(stderr, "shoal-vmm: --huge-pages %s: expected auto or never\n", huge_pages.c_str());
      out.exit_status = 2;
      return out;
    }
    o.huge_pages = huge_pages == "auto";
  }
  if (!cpu_features.empty()) {
    auto f = parse_cpu_features(cpu_features);
    if (!f) {
      fprintf(stderr, "shoal-vmm: --cpu-features %s: expected baseline, avx, avx512 or host\n", cpu_features.c_str());
      out.exit_status = 2;
      return out;
    }
    o.cpu_features = *f;
  }
  // Last-listed first: with both --net and --channel wrong, the --net error
  // is the one reported, as it always was.
  for (auto it = out.devices.rbegin(); it != out.devices.rend(); ++it) {
    if (auto refused = (*it)->finish_options()) {
      fprintf(stderr, "shoal-vmm: %s\n", refused->c_str());
      out.exit_status = 2;
      return out;
    }
  }
  if (o.timeout_s < 0) {
    fprintf(stderr, "shoal-vmm: --timeout must not be negative\n");
    out.exit_status = 2;
  }
  for (const auto& e : o.env) {
    if (!valid_env_option(e)) {
      fprintf(stderr, "shoal-vmm: --env '%s': expected K=V (set) or K (remove)\n", e.c_str());
      out.exit_status = 2;
    }
  }
  if (o.no_jail && !o.user.empty()) {
    fprintf(stderr, "shoal-vmm: --user and --no-jail exclude each other\n");
    out.exit_status = 2;
  }
  if (!o.exe_path.empty() && o.exe_path[0] != '/') {
    fprintf(stderr, "shoal-vmm: --exe %s: must be an absolute path\n", o.exe_path.c_str());
    out.exit_status = 2;
  }
  return out;
}

}  // namespace shoal::vmm
