// shoal-vmm: one process, one KVM VM, one vCPU: runs one .shoal image.
//
//   shoal-vmm [--memory SIZE] [--cpu N] [--timeout SEC] [--env K=V]...
//             [--verbose] [--timing] [--channel MEMFD,TO_HOST_FD,TO_GUEST_FD]
//             [--net tap:NAME --ip A.B.C.D/N [--gateway A.B.C.D] [--mac MAC]
//              [--net-impair loss=P,delay=MS,reorder=P[,seed=N]]]
//             [--user USER[:GROUP] | --no-jail]
//             IMAGE [-- ARGS...]
//
// Confinement (docs/security.md): inherited descriptors other than 0-2 and
// --channel's are closed first; after the privileged set-up the monitor
// enters its jail (jail.hpp: namespaces, empty root, unprivileged uid, no
// capabilities), then seccomp (seccomp_policy.cpp), then runs the guest.
//
// Exit status: the guest's exit status; 124 timeout; 132/133/134/135/136/139
// for guest crashes (as the matching signal would give natively, see
// fault.hpp); 139 also for a guest that breaks the hypercall contract; 1 for
// monitor errors (bad image, KVM unavailable, TAP device unavailable); 2 for
// usage errors (and --net for an image that does not declare the device).
#include <limits.h>
#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <optional>

#include <shoal/abi/boot.h>
#include <shoal/abi/image.h>
#include <shoal/abi/layout.h>

#include "block_wait.hpp"
#include "boot_info.hpp"
#include "cpu_setup.hpp"
#include "descriptors.hpp"
#include "guest_env.hpp"
#include "devices/device_module.hpp"
#include "image_loader.hpp"
#include "jail.hpp"
#include "kvm.hpp"
#include "monitor.hpp"
#include "options.hpp"
#include "page_tables.hpp"
#include "seccomp_policy.hpp"
#include <shoal/image/symbols.hpp>
#include "host_signals.hpp"
#include "preempt.hpp"
#include "timeout.hpp"

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

uint64_t clock_ns(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

struct Timing {
  uint64_t main_ns = 0, first_run_ns = 0, first_write_ns = 0;
  // /proc/self/status, opened before seccomp: VmHWM is this process's peak
  // RSS. (ru_maxrss is not: it keeps the pre-exec peak of the parent's copy.)
  int status_fd = -1;
};

// Sleeps for ns; false if --timeout expired meanwhile.
bool sleep_ns(uint64_t ns) {
  timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  uint64_t secs = ns / 1000000000ull;
  uint64_t total = static_cast<uint64_t>(deadline.tv_nsec) + ns % 1000000000ull;
  if (secs > (1ull << 40)) secs = 1ull << 40;  // far enough
  deadline.tv_sec += static_cast<time_t>(secs + total / 1000000000ull);
  deadline.tv_nsec = static_cast<long>(total % 1000000000ull);
  for (;;) {
    int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr);
    if (rc == 0) return true;
    if (rc != EINTR) return true;
    if (timeout_expired()) return false;
    if (host_signals_pending()) return true;  // the guest takes it now
  }
}

void verbose(const Options& o, const char* fmt, auto... args) {
  if (!o.verbose) return;
  fprintf(stderr, "shoal-vmm: ");
  fprintf(stderr, fmt, args...);
  fprintf(stderr, "\n");
}

Result<BootParams> make_boot_params(const Options& o, const LoadedImage& image, uint64_t memory_size,
                                    uint64_t tsc_khz) {
  BootParams boot;
  boot.memory_size = memory_size;
  boot.tsc_khz = tsc_khz;
  boot.image_end = image.image_end;
  boot.app_entry = image.header.app_entry;
  boot.app_phdr = image.header.app_phdr;
  boot.app_phent = image.header.app_phent;
  boot.app_phnum = image.header.app_phnum;
  boot.rootfs_addr = image.rootfs_addr;
  boot.rootfs_size = image.rootfs_size;
  boot.argv.push_back(image.program_name());
  boot.argv.insert(boot.argv.end(), o.args.begin(), o.args.end());
  // The default environment with --env applied: nothing of the host's leaks in.
  boot.env = guest_environment(o.env);
  // glibc expects /proc/self/exe to be absolute.
  boot.exe_path = o.exe_path;
  // A dynamic program is a file of its image's rootfs: that is its path.
  if (boot.exe_path.empty()) boot.exe_path = image.exec_path;
  if (boot.exe_path.empty()) {
    char resolved[PATH_MAX];
    boot.exe_path = realpath(image.path.c_str(), resolved) ? resolved : image.path;
  }
  boot.hwcap = host_hwcap();
  boot.hwcap2 = host_hwcap2();
  boot.flags = o.verbose ? static_cast<uint32_t>(kBootVerbose) : 0u;
  if (getrandom(boot.random, sizeof boot.random, 0) != sizeof boot.random)
    return make_error(std::string("getrandom: ") + strerror(errno));
  return boot;
}

// Executable sections and symbols for crash reports. The symbols are parsed
// now, before seccomp, into *storage; a bad table only costs the names.
Symbolizer make_symbolizer(const Options& o, const LoadedImage& image, uint64_t memory_size,
                           image::SymbolTable* storage) {
  Symbolizer sym;
  for (const auto& s : image.loaded) {
    if (s.flags & kSectionExec) sym.code.push_back({s.addr, s.addr + s.size});
  }
  sym.stack_end = memory_size;
  if (!image.symbols.empty()) {
    auto parsed = image::parse_symbols(image.symbols);
    if (parsed) {
      *storage = std::move(parsed.value());
      sym.symbols = storage;
    } else {
      verbose(o, "symbols ignored: %s", parsed.error().message.c_str());
    }
  }
  return sym;
}

// devs is taken by value: the devices are destroyed when run() returns,
// after the VM and the vCPU (locals here), on every path.
Result<int> run(const Options& o, DeviceList devs, const JailConfig& jail, Timing& timing) {
  auto image = TRY(open_image(o.image));
  uint64_t memory_size = o.memory ? *o.memory : image.header.default_memory ? image.header.default_memory : kDefaultMemory;
  TRY(check_image_fits(image.header, image.loaded, memory_size));
  // A guest's sleep is one block hypercall: a ppoll until its deadline.
  // Linux's default 50 us timer slack would make a 20 us sleep (Go's sysmon,
  // short timers) ~70 us; 1 ns keeps it to the deadline. Threads started
  // later (the devices' I/O threads) inherit it. A failure only costs that.
  (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

  if (o.cpu) {
    if (*o.cpu >= CPU_SETSIZE) return make_error("--cpu " + std::to_string(*o.cpu) + ": no such CPU");
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(*o.cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0)
      return make_error("--cpu " + std::to_string(*o.cpu) + ": " + strerror(errno));
  }

  // Only the devices the image declares exist.
  for (const auto& d : devs) {
    if (auto refused = d->check_image(image.header.devices, o.image)) {
      fprintf(stderr, "shoal-vmm: %s\n", refused->c_str());
      return 2;
    }
  }

  // The devices first (the channel, the TAP): a bad region or device is a
  // clear error before any KVM work.
  DeviceSetup setup;
  for (const auto& d : devs) TRY(d->open(setup));
  std::vector<DeviceRegion> regions;
  for (const auto& d : devs) {
    auto r = d->regions();
    regions.insert(regions.end(), r.begin(), r.end());
  }

  auto vm = TRY(open_kvm_vm());
  // A variant this host cannot offer is a usage error (status 2), as a bad option is.
  auto cpu_config = make_cpu_config(TRY(vm->supported_cpuid()), o.cpu_features);
  if (!cpu_config) {
    fprintf(stderr, "shoal-vmm: %s\n", cpu_config.error().message.c_str());
    return 2;
  }
  auto mem = TRY(GuestMemory::create(memory_size));
  // A device thread may read guest memory (the network device's gather
  // frames): every device stops before mem is unmapped, on every return
  // path (stop() is idempotent; the normal path stops them below first).
  struct DevicesStop {
    DeviceList& devs;
    ~DevicesStop() {
      for (const auto& d : devs) (void)d->stop();
    }
  } devices_stop{devs};
  for (const auto& d : devs) d->use_guest_memory(mem);
  TRY(map_sections(mem, image));
  image.close_file();
  auto plan = plan_address_space(memory_size, image.loaded);
  auto tables = TRY(build_page_tables(mem, memory_size, plan, regions));
  verbose(o, "%s: %s of guest memory, %zu sections, page tables %u pages (%u x 2 MiB, %u x 4 KiB)",
          image.path.c_str(), describe_bytes(memory_size).c_str(), image.sections.size(), tables.table_pages,
          tables.large_pages, tables.small_pages);
  std::vector<uint16_t> kick_ports;
  for (const auto& d : devs) {
    auto p = d->kick_ports();
    kick_ports.insert(kick_ports.end(), p.begin(), p.end());
  }
  TRY(write_descriptor_tables(mem, static_cast<uint32_t>(image.header.libos_bounce_slot),
                              static_cast<uint32_t>(image.header.libos_syscall_bounce), kick_ports));
  TRY(vm->set_memory(mem.host_base(), memory_size));
  for (const auto& d : devs) {
    std::string described = TRY(d->attach(*vm));
    if (!described.empty()) verbose(o, "%s", described.c_str());
  }
  auto vcpu = TRY(vm->create_vcpu());
  TRY(setup_vcpu(*vcpu, *cpu_config, tables.cr3, image.header.libos_entry, kBootInfoAddr,
                 kRing0CodeAddr + kLstarStubOffset));

  auto boot = TRY(make_boot_params(o, image, memory_size, TRY(vcpu->tsc_khz())));
  boot.xcr0 = cpu_config->xcr0;
  boot.xsave_components = cpu_config->xsave_components;
  boot.xsave_size = cpu_config->xsave_size;
  boot.cpu_flags = cpu_config->strict ? static_cast<uint32_t>(kCpuVariantStrict) : 0u;
  boot.host_signals_ignored = inherited_ignored_host_signals();
  verbose(o, "cpu: %s, XCR0 %s, xsave area %u bytes", cpu_features_name(cpu_config->features),
          hex(cpu_config->xcr0).c_str(), cpu_config->xsave_size);
  boot.fill_devices = [&devs](BootInfo& info) {
    for (const auto& d : devs) d->fill_boot_info(info);
  };
  TRY(write_boot_info(mem, boot));

  image::SymbolTable symbols;
  Symbolizer sym = make_symbolizer(o, image, memory_size, &symbols);

  HypercallEnv env;
  env.mem = &mem;
  env.image_end = image.image_end;
  env.huge_pages = o.huge_pages;
  env.sleep = sleep_ns;
  if (setup.wake_fd >= 0) {
    // A device can end a `block` (shoald's kick, a frame for the guest).
    int wake_fd = setup.wake_fd;
    env.has_event_source = true;
    env.sleep = [wake_fd](uint64_t ns) { return wait_for_wake(wake_fd, ns, timeout_expired); };
  }
  env.timed_out = timeout_expired;
  env.realtime_ns = [] { return clock_ns(CLOCK_REALTIME); };
  env.on_first_write = [&timing] { timing.first_write_ns = clock_ns(CLOCK_MONOTONIC); };
  // The hypercalls the devices serve (the console's console_read/write).
  for (const auto& d : devs) TRY(install_hypercalls(env, d->hypercalls()));

  MonitorConfig config;
  config.program = image.program_name();
  config.timeout_s = o.timeout_s;
  Monitor monitor(mem, *vcpu, std::move(sym), std::move(env), config);

  // A closed stdout must not kill the monitor: console_write gets -EPIPE.
  signal(SIGPIPE, SIG_IGN);
  // Declared after vcpu, so destroyed before it on every return path: the
  // interval timer outlives the run, and its handler must not reach a freed vCPU.
  struct TimeoutDisarm {
    ~TimeoutDisarm() { disarm_timeout(); }
  } timeout_disarm;
  if (o.timeout_s > 0) TRY(arm_timeout(o.timeout_s, vcpu.get()));
  // Time slices (HcPreempt): the handler now, the timer only once the guest
  // has more than one thread ready.
  struct SliceDisarm {
    ~SliceDisarm() { disarm_slice_handler(); }
  } slice_disarm;
  TRY(install_slice_handler(vcpu.get()));
  // Signals for the program (host_signals.hpp): from here on SIGTERM & co.
  // reach the guest instead of ending the monitor.
  struct HostSignalDisarm {
    ~HostSignalDisarm() { disarm_host_signals(); }
  } host_signal_disarm;
  TRY(install_host_signal_handlers(vcpu.get()));
  if (o.timing) timing.status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  // Every privileged step is done (KVM, mappings, the devices' opens): give up
  // the rest while still single-threaded, so the devices' threads inherit the jail.
  auto jailed = TRY(enter_jail(jail));
  if (jailed.switched_identity)
    verbose(o, "jail: uid %u gid %u, new mount/IPC/UTS namespaces, empty root, no capabilities",
            static_cast<unsigned>(jail.identity.uid), static_cast<unsigned>(jail.identity.gid));
  else if (jail.enabled)
    verbose(o, "jail: not root: no capabilities%s",
            jailed.bounding_set_cleared ? "" : " (bounding set kept: no CAP_SETPCAP)");
  // The devices' threads start before the filter, which is installed on
  // every thread of the process (TSYNC): they run confined from here on.
  // The devices' threads must not take the forwarded signals (they would not
  // interrupt the vCPU thread's sleep): started with them blocked.
  block_host_signals(true);
  for (const auto& d : devs) {
    auto started = d->start();
    if (!started) {
      block_host_signals(false);
      return started.error();
    }
  }
  block_host_signals(false);
  std::vector<SeccompRule> device_rules;
  for (const auto& d : devs) {
    auto r = d->seccomp_rules(setup.wake_fd);
    device_rules.insert(device_rules.end(), r.begin(), r.end());
  }
  // Set-up scratch (the image's section table and symbols read, the CPUID
  // lists, argument strings) is freed by now but stays resident in the heap:
  // give it back before the filter forbids it. An idle instance's memory is
  // mostly this process's private pages (issue 13: density).
  malloc_trim(0);
  TRY(apply_seccomp_policy(timing.status_fd, vcpu->fd(), setup.wake_fd, device_rules));
  TRY(set_boot_realtime(mem, clock_ns(CLOCK_REALTIME)));
  timing.first_run_ns = clock_ns(CLOCK_MONOTONIC);
  int status = monitor.run();
  verbose(o, "%s", monitor.exit_summary().c_str());
  for (const auto& d : devs) {
    std::string summary = d->stop();
    if (!summary.empty()) verbose(o, "%s", summary.c_str());
  }
  return status;
}

void print_timing(const Timing& t) {
  uint64_t end = clock_ns(CLOCK_MONOTONIC);
  char exec_part[64] = "";
  if (const char* t0 = getenv("SHOAL_BENCH_T0")) {
    uint64_t start = strtoull(t0, nullptr, 10);
    if (start > 0 && start <= t.main_ns)
      snprintf(exec_part, sizeof exec_part, "exec_to_main_us=%lu ", static_cast<unsigned long>((t.main_ns - start) / 1000));
  }
  auto us = [](uint64_t a, uint64_t b) { return static_cast<unsigned long>(b > a && a ? (b - a) / 1000 : 0); };
  long maxrss_kb = -1;
  if (t.status_fd >= 0) {
    char buf[4096];
    ssize_t n = pread(t.status_fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
      buf[n] = 0;
      if (const char* hwm = strstr(buf, "VmHWM:")) maxrss_kb = strtol(hwm + 6, nullptr, 10);
    }
  }
  if (maxrss_kb < 0) {
    struct rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    maxrss_kb = ru.ru_maxrss;
  }
  fprintf(stderr,
          "shoal-vmm timing: %ssetup_us=%lu guest_to_first_write_us=%lu total_us=%lu maxrss_kb=%ld\n", exec_part,
          us(t.main_ns, t.first_run_ns), us(t.first_run_ns, t.first_write_ns), us(t.main_ns, end), maxrss_kb);
}

}  // namespace
}  // namespace shoal::vmm

int main(int argc, char** argv) {
  using namespace shoal::vmm;
  Timing timing;
  timing.main_ns = clock_ns(CLOCK_MONOTONIC);
  // The devices, in set-up order (all_devices(), generated from the folders
  // under devices/): each step of run() goes through them in this order.
  auto parsed = parse_options(argc, argv, all_devices());
  if (parsed.exit_status) return *parsed.exit_status;
  // Before anything else opens a descriptor: keep only what the command line
  // names (a launcher's stray pipes and files must not reach the guest's
  // monitor).
  auto kept = parsed.inherited_fds();
  if (auto closed = close_inherited_fds(kept); !closed) {
    fprintf(stderr, "shoal-vmm: %s\n", closed.error().message.c_str());
    return 1;
  }
  JailConfig jail;
  jail.enabled = !parsed.options.no_jail;
  if (jail.enabled && geteuid() == 0) {
    auto identity = resolve_jail_identity(parsed.options.user);
    if (!identity) {
      fprintf(stderr, "shoal-vmm: %s\n", identity.error().message.c_str());
      return 2;
    }
    jail.identity = identity.value();
  } else if (!parsed.options.user.empty()) {
    fprintf(stderr, "shoal-vmm: --user %s: only a monitor started as root switches user\n",
            parsed.options.user.c_str());
    return 2;
  }
  auto status = run(parsed.options, std::move(parsed.devices), jail, timing);
  int code;
  if (!status) {
    fprintf(stderr, "shoal-vmm: %s\n", status.error().message.c_str());
    code = 1;
  } else {
    code = status.value();
  }
  if (parsed.options.timing) print_timing(timing);
  fflush(stderr);
  _exit(code);
}
