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
#include <malloc.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include <seccomp.h>

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
#include "snapshot_resume.hpp"
#include "snapshot_save.hpp"
#include "snapshot_vcpu.hpp"
#include "family.hpp"
#include "fork_vm.hpp"
#include "process_hypercalls.hpp"
#include "zygote.hpp"

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

// Set in a forked child's monitor whose guest ended by a fatal signal: main()
// re-raises it, so that the parent's wait sees WIFSIGNALED (0: none).
int g_reraise_signal = 0;

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
    // NOTE: a forwarded signal whose handler ran after the run loop's last
    // look but before the sleep below began interrupts nothing (the classic
    // lost wake-up; another process's kill makes it likely): the sleep goes
    // in slices of at most 100 ms, each after a look.
    if (host_signals_pending()) return true;  // the guest takes it now
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    timespec slice = now;
    slice.tv_nsec += 100000000;
    if (slice.tv_nsec >= 1000000000) {
      slice.tv_sec += 1;
      slice.tv_nsec -= 1000000000;
    }
    bool last = slice.tv_sec > deadline.tv_sec || (slice.tv_sec == deadline.tv_sec && slice.tv_nsec >= deadline.tv_nsec);
    int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, last ? &deadline : &slice, nullptr);
    if (rc == 0 && last) return true;
    if (rc != 0 && rc != EINTR) return true;
    if (timeout_expired()) return false;
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

// With --snapshot-out: what the save needs from the boot (snapshot_save.hpp).
void describe_for_snapshot(SnapshotOut& out, const LoadedImage& image, const CpuConfig& cpu,
                           const std::vector<DeviceRegion>& regions, const std::vector<uint16_t>& kick_ports,
                           uint64_t tsc_khz) {
  auto& h = out.header;
  snprintf(h.image_name, sizeof h.image_name, "%s", image.program_name().c_str());
  h.tsc_khz = tsc_khz;
  h.cpu_features = static_cast<uint32_t>(cpu.features);
  h.cpu_strict = cpu.strict ? 1 : 0;
  h.xcr0 = cpu.xcr0;
  h.xsave_components = cpu.xsave_components;
  h.xsave_size = cpu.xsave_size;
  h.image_devices = image.header.devices;
  h.kick_port_count = static_cast<uint32_t>(std::min<size_t>(kick_ports.size(), image::kSnapshotMaxKickPorts));
  for (uint32_t i = 0; i < h.kick_port_count; ++i) h.kick_ports[i] = kick_ports[i];
  for (const auto& r : regions) {
    image::SnapshotDevice d{};
    snprintf(d.name, sizeof d.name, "%s", r.name);
    d.guest_addr = r.guest_addr;
    d.size = r.size;
    out.devices.push_back(d);
  }
  // The image's file-backed bytes: untouched pages still read through from
  // the image, which a resume does not open.
  for (const auto& s : image.sections) {
    if (s.file_size > 0 && s.kind < static_cast<uint32_t>(SectionKind::kFirstUnloaded)) out.always.emplace_back(s.guest_addr, s.file_size);
  }
}

// A snapshot fixes what the command line would otherwise choose.
std::optional<std::string> refused_with_snapshot(const Options& o) {
  if (o.memory) return "--memory";
  if (!o.env.empty()) return "--env";
  if (!o.args.empty()) return "program arguments";
  if (!o.exe_path.empty()) return "--exe";
  if (o.cpu_features_given) return "--cpu-features";
  if (!o.snapshot_out.empty()) return "--snapshot-out";
  return std::nullopt;
}

// Waits until fd is readable or closed (--start-on-fd): a warm monitor.
Result<void> wait_for_start(int fd) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    int n = ppoll(&p, 1, nullptr, nullptr);
    if (n > 0) break;
    if (n < 0 && errno != EINTR) return make_error(std::string("--start-on-fd: ") + strerror(errno));
    if (timeout_expired()) return make_error("--start-on-fd: timed out before the start");
  }
  close(fd);
  return {};
}

// What the command line names: a snapshot to resume or an image to boot.
struct Target {
  std::optional<ResumeFile> resume;
  std::optional<LoadedImage> image;
  uint64_t memory_size = 0;
  uint32_t image_devices = 0;  // ImageHeader::devices (saved in a snapshot)
  std::string program;         // for reports
};

// What a template monitor did before forking (zygote.hpp): the snapshot
// opened, validated and mapped, /dev/kvm opened and the CPU configuration
// chosen. A forked child goes on from here.
struct Prepared {
  Target target;
  CpuConfig cpu;
  std::optional<GuestMemory> mem;
  int kvm_fd = -1;  // owned: the child's VM takes it
};

// Opens o.image as a Target; a usage error (status 2) as a message.
Result<std::optional<std::string>> open_target(const Options& o, Target& t) {
  if (is_snapshot_file(o.image)) {
    if (auto refused = refused_with_snapshot(o))
      return std::optional<std::string>(*refused + ": not with a snapshot (the snapshot " + o.image + " fixes it)");
    t.resume = TRY(open_snapshot(o.image));
    const auto& h = t.resume->snap.header;
    t.memory_size = h.memory_size;
    t.image_devices = h.image_devices;
    t.program = image::fixed_string(h.image_name, sizeof h.image_name);
    return std::optional<std::string>();
  }
  if (o.start_on_fd >= 0) return std::optional<std::string>("--start-on-fd: only when resuming a snapshot");
  t.image.emplace(TRY(open_image(o.image)));
  const auto& h = t.image->header;
  t.memory_size = o.memory ? *o.memory : h.default_memory ? h.default_memory : kDefaultMemory;
  TRY(check_image_fits(h, t.image->loaded, t.memory_size));
  t.image_devices = h.devices;
  t.program = t.image->program_name();
  return std::optional<std::string>();
}

// Boot: the image's sections, the page tables and the descriptor tables in
// guest memory. Returns CR3.
Result<uint64_t> lay_out_boot_memory(const Options& o, const GuestMemory& mem, LoadedImage& image,
                                     const std::vector<DeviceRegion>& regions, const std::vector<uint16_t>& kick_ports) {
  TRY(map_sections(mem, image));
  image.close_file();
  auto plan = plan_address_space(mem.size(), image.loaded);
  auto tables = TRY(build_page_tables(mem, mem.size(), plan, regions));
  verbose(o, "%s: %s of guest memory, %zu sections, page tables %u pages (%u x 2 MiB, %u x 4 KiB)",
          image.path.c_str(), describe_bytes(mem.size()).c_str(), image.sections.size(), tables.table_pages,
          tables.large_pages, tables.small_pages);
  TRY(write_descriptor_tables(mem, static_cast<uint32_t>(image.header.libos_bounce_slot),
                              static_cast<uint32_t>(image.header.libos_syscall_bounce), kick_ports));
  return tables.cr3;
}

// devs is taken by value: the devices are destroyed when run() returns,
// after the VM and the vCPU (locals here), on every path.
// With `prepared` (a template's child), the snapshot, /dev/kvm, the CPU
// configuration and guest memory come from the template, and the jail was
// entered there.
Result<int> run(const Options& o, DeviceList devs, const JailConfig& jail, Timing& timing,
                Prepared* prepared = nullptr) {
  // A snapshot (by magic) resumes; anything else is an image to boot.
  Target target;
  if (prepared) {  // a snapshot: the template refuses anything else
    target.resume = std::move(prepared->target.resume);
    target.memory_size = prepared->target.memory_size;
    target.image_devices = prepared->target.image_devices;
    target.program = prepared->target.program;
  } else if (auto usage = TRY(open_target(o, target))) {
    fprintf(stderr, "shoal-vmm: %s\n", usage->c_str());
    return 2;
  }
  std::optional<ResumeFile>& resume = target.resume;
  std::optional<LoadedImage>& image = target.image;
  uint64_t memory_size = target.memory_size;
  std::optional<SnapshotOut> snapshot_out;
  if (!o.snapshot_out.empty()) snapshot_out = TRY(prepare_snapshot_out(o.snapshot_out));
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
    if (auto refused = d->check_image(target.image_devices, o.image)) {
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
  std::vector<uint16_t> kick_ports;
  for (const auto& d : devs) {
    auto p = d->kick_ports();
    kick_ports.insert(kick_ports.end(), p.begin(), p.end());
  }
  if (resume) TRY(check_snapshot_devices(*resume, regions, kick_ports));

  std::unique_ptr<Vm> vm;
  if (prepared) {
    vm = TRY(create_kvm_vm(prepared->kvm_fd));
    prepared->kvm_fd = -1;
  } else {
    vm = TRY(open_kvm_vm());
  }
  std::optional<CpuConfig> cpu_config;
  if (prepared) {
    cpu_config = prepared->cpu;
  } else if (resume) {
    cpu_config = TRY(snapshot_cpu_config(*resume, TRY(vm->supported_cpuid())));
  } else {
    // A variant this host cannot offer is a usage error (status 2), as a bad option is.
    auto config = make_cpu_config(TRY(vm->supported_cpuid()), o.cpu_features);
    if (!config) {
      fprintf(stderr, "shoal-vmm: %s\n", config.error().message.c_str());
      return 2;
    }
    cpu_config = std::move(config.value());
  }
  auto mem = prepared ? std::move(*prepared->mem) : TRY(GuestMemory::create(memory_size));
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
  uint64_t cr3 = 0;
  if (resume) {
    // The page tables, descriptor tables and BootInfo are in the saved pages
    // (mapped by the template already, with `prepared`).
    if (!prepared) TRY(map_snapshot(*resume, mem));
    verbose(o, "%s: snapshot of %s, %s of guest memory, %lu pages saved in %zu ranges", o.image.c_str(),
            target.program.c_str(), describe_bytes(memory_size).c_str(),
            static_cast<unsigned long>(resume->snap.header.saved_pages), resume->snap.ranges.size());
  } else {
    cr3 = TRY(lay_out_boot_memory(o, mem, *image, regions, kick_ports));
  }
  if (o.ksm) {
    // After the sections' (or the snapshot's) private file mappings are in
    // place, so the advice covers them too (their copied-on-write pages are
    // anonymous).
    if (madvise(mem.host_base(), memory_size, MADV_MERGEABLE) != 0)
      return errno_error("--ksm: madvise(MADV_MERGEABLE) on guest memory");
    verbose(o, "ksm: guest memory is mergeable (the host merges only while /sys/kernel/mm/ksm/run is 1)");
  }
  TRY(vm->set_memory(mem.host_base(), memory_size));
  for (const auto& d : devs) {
    std::string described = TRY(d->attach(*vm));
    if (!described.empty()) verbose(o, "%s", described.c_str());
  }
  auto vcpu = TRY(vm->create_vcpu());
  uint64_t tsc_khz = TRY(vcpu->tsc_khz());
  auto fill_devices = [&devs](BootInfo& info) {
    for (const auto& d : devs) d->fill_boot_info(info);
  };
  if (resume) {
    TRY(restore_vcpu(*vcpu, *cpu_config, resume->snap.vcpu));
  } else {
    TRY(setup_vcpu(*vcpu, *cpu_config, cr3, image->header.libos_entry, kBootInfoAddr,
                   kRing0CodeAddr + kLstarStubOffset));
    auto boot = TRY(make_boot_params(o, *image, memory_size, tsc_khz));
    boot.xcr0 = cpu_config->xcr0;
    boot.xsave_components = cpu_config->xsave_components;
    boot.xsave_size = cpu_config->xsave_size;
    boot.cpu_flags = cpu_config->strict ? static_cast<uint32_t>(kCpuVariantStrict) : 0u;
    boot.host_signals_ignored = inherited_ignored_host_signals();
    if (snapshot_out) {
      boot.flags |= kBootSnapshot;
      boot.snapshot_port = o.ready_port;
      describe_for_snapshot(*snapshot_out, *image, *cpu_config, regions, kick_ports, tsc_khz);
    }
    boot.fill_devices = fill_devices;
    TRY(write_boot_info(mem, boot));
  }
  verbose(o, "cpu: %s, XCR0 %s, xsave area %u bytes", cpu_features_name(cpu_config->features),
          hex(cpu_config->xcr0).c_str(), cpu_config->xsave_size);

  // Crash reports symbolize from the image; a resumed snapshot has none.
  image::SymbolTable symbols;
  Symbolizer sym;
  sym.stack_end = memory_size;
  if (image) sym = make_symbolizer(o, *image, memory_size, &symbols);

  HypercallEnv env;
  env.mem = &mem;
  if (image) env.image_end = image->image_end;
  if (resume) restore_hypercall_env(*resume, env);
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
  env.snapshot_wanted = snapshot_out.has_value();
  // The hypercalls the devices serve (the console's console_read/write).
  for (const auto& d : devs) TRY(install_hypercalls(env, d->hypercalls()));
  // The process model (process_hypercalls.hpp): this monitor is the family's
  // first process; the monitors its guest forks inherit the table.
  TRY(install_hypercalls(env, process_hypercalls()));
  ForkContext fork_ctx;
  fork_ctx.vm = vm.get();
  fork_ctx.vcpu = &vcpu;
  fork_ctx.cpu = &*cpu_config;
  // A device's region or event source would be one for two guests (the
  // channel's rings, the TAP): such an instance does not fork, and has no
  // family table (the `process` hypercall then answers ENOSYS, and the
  // LibOS acts as the one process it is).
  bool unshareable = setup.wake_fd >= 0;
  for (const auto& r : regions) unshareable |= !r.shared_by_family;  // the family region is meant to be shared
  if (unshareable) fork_ctx.refused = "the instance has a channel or network device";
  if (snapshot_out) fork_ctx.refused = "the instance saves a snapshot";
  std::optional<Family> family;
  if (fork_ctx.refused.empty()) {
    family.emplace(TRY(Family::create(o.max_processes)));
    env.family = &*family;
    fork_ctx.family = &*family;
    // Orphans of the family are re-parented to this monitor (pid 1), as to init.
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL);
  }

  MonitorConfig config;
  config.program = target.program;
  config.timeout_s = o.timeout_s;
  if (snapshot_out) {
    config.exit_after_save = o.snapshot_then_exit;
    config.save_snapshot = [&](const HypercallEnv& now, uint64_t args, uint64_t port) -> Result<std::string> {
      auto saved = TRY(save_snapshot(*snapshot_out, mem, *vcpu, now, args, port));
      verbose(o, "snapshot %s: %lu pages in %lu ranges, %s, saved in %lu us (ready on port %lu)",
              snapshot_out->path.c_str(), static_cast<unsigned long>(saved.pages),
              static_cast<unsigned long>(saved.ranges), describe_bytes(saved.bytes).c_str(),
              static_cast<unsigned long>(saved.micros), static_cast<unsigned long>(port));
      return std::string();
    };
  }
  config.fork = [&](HypercallEnv& now, uint64_t args) -> Result<Vcpu*> {
    auto out = TRY(fork_instance(fork_ctx, now, args));
    return out.vcpu;
  };
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
  // A resumed instance's own entropy, drawn now (no getrandom under seccomp).
  InstanceFields instance;
  if (resume) {
    if (getrandom(instance.random, sizeof instance.random, 0) != static_cast<ssize_t>(sizeof instance.random))
      return make_error(std::string("getrandom: ") + strerror(errno));
    instance.tsc_khz = tsc_khz;
    instance.host_signals_ignored = inherited_ignored_host_signals();
    instance.fill_devices = fill_devices;
  }
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
  SeccompSnapshotFds snapshot_fds;
  if (snapshot_out) {
    snapshot_fds.out_fd = snapshot_out->fd;
    snapshot_fds.pagemap_fd = snapshot_out->pagemap_fd;
  }
  snapshot_fds.start_fd = o.start_on_fd;
  if (fork_ctx.refused.empty()) {
    snapshot_fds.fork_kvm_fd = vm->kvm_fd();
    snapshot_fds.fork_vm_fd = vm->vm_fd();
  }
  TRY(apply_seccomp_policy(timing.status_fd, vcpu->fd(), setup.wake_fd, device_rules, snapshot_fds));
  // Set-up is over: what it freed on the heap (libseccomp's filter database,
  // option strings, the image's and the snapshot's tables) goes back to the
  // kernel instead of staying dirty for the life of an idle instance (issue
  // 13: 120 KiB of heap per monitor before). malloc_trim only calls brk and
  // madvise(MADV_DONTNEED), which the policy allows.
  malloc_trim(0);
  if (resume) {
    if (o.start_on_fd >= 0) TRY(wait_for_start(o.start_on_fd));
    instance.realtime_ns = clock_ns(CLOCK_REALTIME);
    TRY(write_instance_fields(mem, resume->snap.header, instance));
  } else {
    TRY(set_boot_realtime(mem, clock_ns(CLOCK_REALTIME)));
  }
  timing.first_run_ns = clock_ns(CLOCK_MONOTONIC);
  int status = monitor.run();
  verbose(o, "%s", monitor.exit_summary().c_str());
  if (family && family->self_pid() == 1) {
    // The first process ends the family, as Linux's pid 1 would.
    family->kill_all_others();
  } else if (family) {
    // Its children are re-parented to pid 1 (this monitor's host children
    // go to the subreaper, the first monitor).
    for (auto& e : family->table().entries)
      if (e.guest_pid.load() > 0 && e.parent.load() == family->self_pid()) e.parent.store(1);
    // A guest ended by a fatal signal (status 128 + n, not its own exit):
    // the monitor ends by that signal too.
    if (!monitor.exited() && status > 128 && status < 128 + 32) g_reraise_signal = status - 128;
  }
  if (snapshot_out && !monitor.ready_reached()) {
    fprintf(stderr, "shoal-vmm: the program ended (status %d) before its ready point (every thread waiting with a "
            "listening socket%s): no snapshot\n", status,
            o.ready_port ? (" on port " + std::to_string(o.ready_port)).c_str() : "");
    if (o.snapshot_then_exit) status = 1;  // a monitor error: no snapshot
  }
  for (const auto& d : devs) {
    std::string summary = d->stop();
    if (!summary.empty()) verbose(o, "%s", summary.c_str());
  }
  // The VM goes before guest memory is unmapped: unmapping a range a live
  // VM maps makes KVM invalidate its shadow pages over the whole range
  // (milliseconds under kvm_pvm, paid by every forked child's exit and its
  // parent's wait). Nothing uses the vCPU from here: the handlers let go
  // of it first.
  disarm_timeout();
  disarm_slice_handler();
  disarm_host_signals();
  vcpu.reset();
  vm.reset();
  return status;
}

void print_timing(const Timing& t);

// --zygote-fd: a template monitor (zygote.hpp). Prepares the snapshot once,
// enters the jail, then serves requests; returns 0 in the template when
// shoald closes the socket, and in each forked child the status of the
// instance it ran.
Result<int> run_template(const Options& o, const JailConfig& jail, Timing& timing) {
  pid_t launcher = getppid();
  Prepared p;
  if (auto usage = TRY(open_target(o, p.target))) {
    fprintf(stderr, "shoal-vmm: %s\n", usage->c_str());
    return 2;
  }
  if (!p.target.resume) {
    fprintf(stderr, "shoal-vmm: --zygote-fd: %s is not a snapshot\n", o.image.c_str());
    return 2;
  }
  p.kvm_fd = TRY(open_kvm_device());
  p.cpu = TRY(snapshot_cpu_config(*p.target.resume, TRY(kvm_supported_cpuid(p.kvm_fd))));
  p.mem.emplace(TRY(GuestMemory::create(p.target.memory_size)));
  // NOTE: mapped from the file, as a spawned monitor maps it. Copying the
  // pages into MADV_HUGEPAGE memory here, for children to inherit in 2 MiB
  // pages, was measured slower (docs/benchmarks.md, bench/starts): 119
  // against 249 starts/s, first response 9.2 against 7.3 ms.
  TRY(map_snapshot(*p.target.resume, *p.mem));
  TRY(enter_jail(jail));
  // The jail's change of identity cleared the parent-death signal.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != launcher) return 1;
  // libseccomp probes the kernel's seccomp API once per process and keeps the
  // answer: probed here, every child inherits it instead of probing again.
  (void)seccomp_api_get();
  verbose(o, "template for %s: %s of guest memory mapped, serving descriptor %d", o.image.c_str(),
          describe_bytes(p.target.memory_size).c_str(), o.zygote_fd);
  auto request = TRY(serve_zygote(o.zygote_fd, launcher));
  if (!request) return 0;
  // The forked child: the options a separately started monitor of this
  // instance would have been given.
  timing.main_ns = clock_ns(CLOCK_MONOTONIC);
  std::vector<std::string> words = {"shoal-vmm"};
  if (request->flags & zygote::kFlagKsm) words.push_back("--ksm");
  if (request->flags & zygote::kFlagTiming) words.push_back("--timing");
  if (request->flags & zygote::kFlagVerbose) words.push_back("--verbose");
  words.insert(words.end(), {"--channel", std::to_string(request->channel[0]) + "," +
                                              std::to_string(request->channel[1]) + "," +
                                              std::to_string(request->channel[2])});
  if (request->start_fd >= 0) words.insert(words.end(), {"--start-on-fd", std::to_string(request->start_fd)});
  words.push_back(o.image);
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  auto parsed = parse_options(static_cast<int>(words.size()), argv.data(), all_devices());
  if (parsed.exit_status) return *parsed.exit_status;
  auto kept = parsed.inherited_fds();
  kept.push_back(p.kvm_fd);
  TRY(close_inherited_fds(kept));
  JailConfig entered;  // in the template already
  entered.enabled = false;
  int status = TRY(run(parsed.options, std::move(parsed.devices), entered, timing, &p));
  if (parsed.options.timing) print_timing(timing);
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
  auto status = parsed.options.zygote_fd >= 0 ? run_template(parsed.options, jail, timing)
                                              : run(parsed.options, std::move(parsed.devices), jail, timing);
  int code;
  if (!status) {
    fprintf(stderr, "shoal-vmm: %s\n", status.error().message.c_str());
    code = 1;
  } else {
    code = status.value();
  }
  if (parsed.options.timing) print_timing(timing);
  fflush(stderr);
  if (g_reraise_signal != 0) {
    (void)prctl(PR_SET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);
    signal(g_reraise_signal, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, g_reraise_signal);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    kill(getpid(), g_reraise_signal);
  }
  _exit(code);
}
