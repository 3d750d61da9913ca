#include "options.hpp"

#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

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

Result<ChannelFds> parse_channel_fds(const std::string& text) {
  int fds[3];
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    size_t start = pos;
    long value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 9) {
      value = value * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == start || (pos < text.size() && text[pos] >= '0' && text[pos] <= '9'))
      return make_error("'" + text + "': expected MEMFD,TO_HOST_FD,TO_GUEST_FD (three descriptor numbers)");
    if (i < 2) {
      if (pos >= text.size() || text[pos] != ',')
        return make_error("'" + text + "': expected MEMFD,TO_HOST_FD,TO_GUEST_FD (three descriptor numbers)");
      ++pos;
    }
    fds[i] = static_cast<int>(value);
  }
  if (pos != text.size())
    return make_error("'" + text + "': expected MEMFD,TO_HOST_FD,TO_GUEST_FD (three descriptor numbers)");
  for (int i = 0; i < 3; ++i) {
    if (fds[i] <= 2)
      return make_error("'" + text + "': descriptor " + std::to_string(fds[i]) + " is the console's");
    for (int j = 0; j < i; ++j)
      if (fds[i] == fds[j]) return make_error("'" + text + "': descriptor " + std::to_string(fds[i]) + " given twice");
  }
  return ChannelFds{fds[0], fds[1], fds[2]};
}

std::vector<int> Options::inherited_fds() const {
  if (!channel) return {};
  return {channel->memfd, channel->to_host, channel->to_guest};
}

ParsedOptions parse_options(int argc, char** argv) {
  ParsedOptions out;
  Options& o = out.options;
  CLI::App app{"shoal-vmm: run one shoal unikernel image under KVM", "shoal-vmm"};
  std::string memory;
  int cpu = -1;
  std::string channel;
  std::string cpu_features;
  app.add_option("--memory", memory, "guest memory (default: the image's, else 512M; K/M/G suffixes)");
  app.add_option("--cpu", cpu, "pin the monitor and its vCPU to host CPU N");
  app.add_option("--cpu-features", cpu_features,
                 "baseline|avx|avx512|host: the guest's XCR0 and CPUID (x87+SSE; +AVX/AVX2; +AVX-512). "
                 "Default host: the best the host offers; a variant it lacks is an error (status 2)");
  app.add_option("--timeout", o.timeout_s, "end the instance after SEC seconds (status 124)");
  app.add_option("--env", o.env, "K=V for the guest environment (repeatable; nothing else is passed)")
      ->allow_extra_args(false);
  app.add_flag("--verbose", o.verbose, "describe the set-up; the LibOS names unimplemented system calls");
  app.add_flag("--timing", o.timing, "print start-up timing and peak memory to stderr at exit");
  app.add_option("--exe", o.exe_path,
                 "absolute path the guest sees as /proc/self/exe and AT_EXECFN (default: the image's)");
  app.add_option("--channel", channel,
                 "MEMFD,TO_HOST_FD,TO_GUEST_FD: the shared-memory channel to shoald (inherited descriptors)");
  NetOptionText net;
  app.add_option("--net", net.net, "tap:NAME: a network device on TAP device NAME (created, or attached if it exists)");
  app.add_option("--ip", net.ip, "with --net: the guest's IPv4 address and subnet, A.B.C.D/N");
  app.add_option("--gateway", net.gateway, "with --net: the default gateway A.B.C.D (inside the subnet)");
  app.add_option("--mac", net.mac, "with --net: the guest's MAC (default: random 02:xx:xx:xx:xx:xx)");
  app.add_option("--net-impair", net.impair,
                 "test aid: loss=P,delay=MS,reorder=P[,seed=N] on frames to the guest, as netem would "
                 "(P in percent; `reorder` frames skip the delay)");
  app.add_option("--user", o.user,
                 "USER[:GROUP] (names or ids) the monitor switches to when started as root, after its set-up "
                 "(default: nobody)");
  app.add_flag("--no-jail", o.no_jail,
               "debugging: keep the launcher's uid, capabilities and namespaces (seccomp still applies)");
  app.add_option("image", o.image, "the .shoal image")->required();
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
  if (!cpu_features.empty()) {
    auto f = parse_cpu_features(cpu_features);
    if (!f) {
      fprintf(stderr, "shoal-vmm: --cpu-features %s: expected baseline, avx, avx512 or host\n", cpu_features.c_str());
      out.exit_status = 2;
      return out;
    }
    o.cpu_features = *f;
  }
  uint64_t random = 0;
  if (getrandom(&random, sizeof random, 0) != sizeof random) random = static_cast<uint64_t>(getpid()) * 0x9e3779b97f4a7c15ull;
  auto net_config = make_net_config(net, random);
  if (!net_config) {
    fprintf(stderr, "shoal-vmm: %s\n", net_config.error().message.c_str());
    out.exit_status = 2;
    return out;
  }
  o.net = net_config.value();
  if (!channel.empty()) {
    auto fds = parse_channel_fds(channel);
    if (!fds) {
      fprintf(stderr, "shoal-vmm: --channel %s\n", fds.error().message.c_str());
      out.exit_status = 2;
      return out;
    }
    o.channel = fds.value();
  }
  if (o.timeout_s < 0) {
    fprintf(stderr, "shoal-vmm: --timeout must not be negative\n");
    out.exit_status = 2;
  }
  for (const auto& e : o.env) {
    if (e.find('=') == std::string::npos) {
      fprintf(stderr, "shoal-vmm: --env %s: expected K=V\n", e.c_str());
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
