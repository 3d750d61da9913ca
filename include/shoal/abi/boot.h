// shoal guest ABI: how the monitor starts the LibOS.
//
// The vCPU starts in 64-bit mode at CPL 3 at ImageHeader::libos_entry
// with rdi = kBootInfoAddr and rsp = 0 (the LibOS switches to its own stack
// first thing). All other general-purpose registers are zero. CR4 has OSFXSR,
// OSXMMEXCPT, OSXSAVE and FSGSBASE set; XCR0 enables the state components of
// the CPU variant the monitor was asked for (--cpu-features: x87|SSE, +AVX,
// +AVX-512; by default the best the host offers), and the CPUID the guest
// reads (leaves 1, 7, 0xD) advertises exactly that variant.
#pragma once

#include <stdint.h>

namespace shoal::abi {

inline constexpr uint64_t kBootInfoMagic = 0x3149424c414f4853ull;  // "SHOALBI1"

enum BootFlags : uint32_t {
  kBootVerbose = 1u << 0,  // LibOS names each unimplemented system call once
  // The monitor saves a snapshot at the ready point: the LibOS makes the
  // `ready` hypercall (hypercall.h) once, when it is ready (snapshot_port).
  kBootSnapshot = 1u << 1,
};

enum CpuFlags : uint32_t {
  // --cpu-features named a variant: the guest must run with exactly xcr0 and
  // ends with status 2 if the CPU says otherwise, rather than run a program
  // under another variant than the one asked for.
  kCpuVariantStrict = 1u << 0,
};

struct BootInfo {
  uint64_t magic;           // kBootInfoMagic
  uint32_t abi_version;     // kAbiVersion
  uint32_t flags;           // BootFlags

  uint64_t memory_size;     // guest memory is [0, memory_size), identity-mapped
  uint64_t tsc_khz;         // guest TSC frequency
  uint64_t realtime_ns;     // host CLOCK_REALTIME sampled just before entry;
                            // the LibOS pairs it with its first rdtsc

  uint64_t image_end;       // first page above every loaded section (brk base)
  uint64_t stack_top;       // main stack: [stack_top - stack_size, stack_top)
  uint64_t stack_size;      // with an unmapped guard of kStackGuardSize below

  // The application, for the auxiliary vector.
  uint64_t app_entry;       // AT_ENTRY (after load bias)
  uint64_t app_phdr;        // AT_PHDR: guest address of the program headers
  uint64_t app_phent;       // AT_PHENT
  uint64_t app_phnum;       // AT_PHNUM

  // Read-only root filesystem (RootfsHeader at rootfs_addr), 0 if none.
  uint64_t rootfs_addr;
  uint64_t rootfs_size;

  // Strings, NUL-terminated and packed at args_addr: argc argv strings, then
  // envc environment strings, then one string: the program's path (for
  // /proc/self/exe and AT_EXECFN).
  uint64_t args_addr;
  uint64_t args_size;
  uint32_t argc;
  uint32_t envc;

  uint64_t hwcap;           // AT_HWCAP (cpuid 1 edx)
  uint64_t hwcap2;          // AT_HWCAP2
  uint8_t random[16];       // AT_RANDOM bytes, from the host's getrandom

  // The shared-memory channel (channel.h), mapped user read-write and never
  // executable at channel_addr (== kChannelAddr); both 0 when the instance
  // has no channel.
  uint64_t channel_addr;
  uint64_t channel_size;
  // The network device (netdev.h) at net_addr (== kNetAddr), both 0 when the
  // image has none. Addresses in network byte order; gateway 0: none (only
  // the local subnet is reachable).
  uint64_t net_addr;
  uint64_t net_size;
  uint8_t net_mac[6];
  uint16_t net_mtu;
  uint32_t net_ipv4;
  uint32_t net_gateway;
  uint8_t net_prefix;       // 0..32
  uint8_t net_reserved[7];

  // Extended state (abi/xsave.h, docs/architecture.md "The CPU the guest
  // sees"). xcr0: the XCR0 the guest should find (xgetbv; under kvm_pvm the
  // host's, whatever the monitor sets); xsave_components: the components
  // xsave_size covers (at least xcr0); xsave_size: the bytes an XSAVE area of
  // those needs (standard form, a multiple of 64). All 0 from a monitor that
  // predates them, or XCR0 outside xsave_components: the LibOS then computes
  // the size from CPUID itself.
  uint64_t xcr0;
  uint64_t xsave_components;
  uint32_t xsave_size;
  uint32_t cpu_flags;       // CpuFlags

  // Signals sent to the monitor process for the program (kHostSignals: kill
  // from outside, the pool's graceful stop). The monitor counts them here
  // during exits, after boot (these fields change while the guest runs:
  // read them where they are, volatile); host_signal_count[sig] counts
  // signal sig, host_signal_total all of them. The LibOS compares them with
  // what it has taken and raises each new one as a signal from outside
  // (SI_USER). BootInfo stays read-only to the guest.
  uint32_t host_signal_total;
  uint32_t host_signal_count[31];
  // The forwarded signals the monitor was started with ignored (1 << sig; a
  // shell's background job ignores SIGINT and SIGQUIT, nohup SIGHUP): the
  // program starts with them ignored too, as an exec'd process would.
  uint32_t host_signals_ignored;
  // With kBootSnapshot: the ready point is a listening socket on this port
  // (TCP or the channel); 0: any listening socket.
  uint32_t snapshot_port;

  // Per-instance facts a resumed snapshot re-binds (hypercall.h, `ready`).
  // At boot: resume_count 0, resume_random zero. At each resume the monitor
  // writes, before the guest runs: resume_count + 1, 32 fresh bytes of host
  // entropy in resume_random (the LibOS re-keys its generator with them: two
  // instances of one snapshot never share a random stream), tsc_khz of this
  // host, realtime_ns, the channel and net fields of this instance, and
  // instance_start_realtime_ns. The guest's TSC is not restored: the LibOS
  // re-bases CLOCK_MONOTONIC on the TSC it reads after the resume, so that
  // it never goes back and does not count the time the snapshot was stored.
  uint32_t resume_count;
  uint32_t _reserved2;
  uint8_t resume_random[32];
  // CLOCK_REALTIME when this instance started (its boot, or its resume):
  // /proc/self/stat's start time and the like.
  uint64_t instance_start_realtime_ns;
  // The family region (layout.h kFamilyAddr): its size in bytes, a multiple
  // of 2 MiB; 0 when the monitor offers none. Mapped by the page tables from
  // the start but backed only after the `family` hypercall.
  uint64_t family_size;
  uint64_t _reserved3;
};
static_assert(sizeof(BootInfo) == 448);

// The signals the monitor forwards: SIGHUP, SIGINT, SIGQUIT, SIGUSR1,
// SIGUSR2, SIGTERM (Linux's numbers), as a mask of 1 << sig.
// SIGCHLD (17): a child monitor's end (a process of the family) reaches its
// parent's guest as SIGCHLD.
inline constexpr uint32_t kHostSignals =
    (1u << 1) | (1u << 2) | (1u << 3) | (1u << 10) | (1u << 12) | (1u << 15) | (1u << 17);

}  // namespace shoal::abi
