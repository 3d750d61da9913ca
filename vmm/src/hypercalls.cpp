#include "hypercalls.hpp"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>

#include <shoal/abi/boot.h>
#include <shoal/abi/layout.h>


namespace shoal::vmm {
namespace {

using namespace shoal::abi;

Result<HcAction> hc_block(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcBlock>(env, a));
  if (args.timeout_ns == UINT64_MAX && !env.has_event_source && (args.flags & kBlockHostSignals) == 0)
    return HcAction{HcAction::Kind::deadlock};
  // A signal for the guest counted since it last looked: return at once.
  bool missed = false;
  if (env.mem != nullptr) {
    auto counted = env.mem->read<uint32_t>(kBootInfoAddr + offsetof(BootInfo, host_signal_total));
    missed = counted.ok() && counted.value() != args.host_signals_seen;
  }
  if (!missed && env.sleep && !env.sleep(args.timeout_ns)) return HcAction{HcAction::Kind::timeout};
  uint64_t now = env.realtime_ns ? env.realtime_ns() : 0;
  TRY(write_field(env, a, offsetof(HcBlock, realtime_ns), now));
  return HcAction{};
}

Result<HcAction> hc_exit(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcExit>(env, a));
  HcAction action{HcAction::Kind::exit};
  action.status = args.status & 0xff;  // as Linux truncates exit statuses
  return action;
}

Result<HcAction> hc_report(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcReport>(env, a));
  HcAction action{HcAction::Kind::report};
  action.status = args.status < 1 ? 1 : args.status > 255 ? 255 : args.status;
  action.report_kind = static_cast<ReportKind>(args.kind);
  uint64_t len = args.message_len > kMaxReportMessage ? kMaxReportMessage : args.message_len;
  auto msg = TRY(guest_buffer(env, "message", args.message, len, Access::read));
  // SAFETY: msg is a checked span; the bytes are copied and later printed
  // with non-printable characters escaped.
  action.message.assign(reinterpret_cast<const char*>(msg.data()), msg.size());
  if (args.has_regs == 1) action.regs = args.regs;
  return action;
}

Result<HcAction> hc_discard(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcDiscard>(env, a));
  int64_t result = 0;
  if (args.addr % kPageSize != 0 || args.len % kPageSize != 0 || args.addr < env.image_end ||
      !env.mem->contains(args.addr, args.len)) {
    result = -EINVAL;
  } else if (args.len > 0) {
    auto range = TRY(env.mem->span(args.addr, args.len));
    if (env.file_backed_memory) {
      // SAFETY: as below; fresh anonymous zero pages replace the range (the
      // KVM slot follows the mapping through its MMU notifier).
      void* p = mmap(range.data(), range.size(), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
      if (p == MAP_FAILED) result = -errno;
    } else if (madvise(range.data(), range.size(), MADV_DONTNEED) < 0) {
      // SAFETY: a checked, page-aligned range of the guest mapping above the
      // image: MADV_DONTNEED drops the pages and later reads see zeros.
      result = -errno;
    }
  }
  TRY(write_field(env, a, offsetof(HcDiscard, result), result));
  return HcAction{};
}

// ready: with --snapshot-out, the first call hands the save to the run loop
// (it must complete the exit first); otherwise the guest goes on, told
// kReadyFailed.
Result<HcAction> hc_ready(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcReady>(env, a));
  if (env.snapshot_wanted) {
    env.snapshot_wanted = false;
    HcAction action{HcAction::Kind::ready};
    action.args = a;
    action.port = args.port;
    return action;
  }
  uint64_t now = env.realtime_ns ? env.realtime_ns() : 0;
  TRY(write_field(env, a, offsetof(HcReady, realtime_ns), now));
  TRY(write_field(env, a, offsetof(HcReady, result), kReadyFailed));
  return HcAction{};
}

Result<HcAction> hc_advise(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcAdvise>(env, a));
  int64_t result = 0;
  if (args.addr % kLargePageSize != 0 || args.len % kLargePageSize != 0 || args.addr < env.image_end ||
      !env.mem->contains(args.addr, args.len) || args.advice != kAdviseHuge) {
    result = -EINVAL;
  } else if (args.len > 0 && env.huge_pages) {
    auto range = TRY(env.mem->span(args.addr, args.len));
    // SAFETY: a checked, 2 MiB-aligned range of the guest mapping above the
    // image; MADV_HUGEPAGE changes only how the host backs it.
    if (madvise(range.data(), range.size(), MADV_HUGEPAGE) < 0) result = -errno;
  }
  TRY(write_field(env, a, offsetof(HcAdvise, result), result));
  return HcAction{};
}

// [addr, addr + len) is 8-aligned and inside the LibOS's image range.
bool in_libos(uint64_t addr, uint64_t len) {
  return addr % 8 == 0 && addr >= kLibosBase && addr < kLibosLimit && len <= kLibosLimit - addr;
}

Result<HcAction> hc_upcall(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcUpcall>(env, a));
  int64_t result = 0;
  // The entry must be LibOS code: the monitor resumes the vCPU there with
  // the program's registers in hand, so it must not be program code. The
  // record is only ever written by the monitor, never read back; it must be
  // LibOS data, so the monitor cannot be made to write over what the guest
  // may not (page tables, descriptor tables, the BootInfo).
  if (args.entry < kLibosBase || args.entry >= kLibosLimit || !in_libos(args.record, sizeof(FaultUpcall)) ||
      !env.mem->contains(args.record, sizeof(FaultUpcall))) {
    result = -EINVAL;
  } else {
    env.upcall_entry = args.entry;
    env.upcall_record = args.record;
  }
  TRY(write_field(env, a, offsetof(HcUpcall, result), result));
  return HcAction{};
}

Result<HcAction> hc_preempt(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcPreempt>(env, a));
  int64_t result = 0;
  // The area is read as a hint and written by the monitor; both checked on
  // every access (GuestMemory), so a bad value can only cost preemption.
  if (env.upcall_entry == 0 || !in_libos(args.area, sizeof(PreemptArea)) ||
      !env.mem->contains(args.area, sizeof(PreemptArea)) ||
      args.slice_ns < 1000000 || args.slice_ns > 1000000000) {
    result = -EINVAL;
  } else {
    env.preempt_area = args.area;
    env.slice_ns = args.slice_ns;
  }
  TRY(write_field(env, a, offsetof(HcPreempt, result), result));
  return HcAction{};
}

constexpr auto kTable = [] {
  std::array<HypercallInfo, kHypercallCount> t{};
#define SHOAL_HC_ENTRY(name, nr, type) t[nr] = HypercallInfo{#name, sizeof(type)};
  SHOAL_HYPERCALLS(SHOAL_HC_ENTRY)
#undef SHOAL_HC_ENTRY
  return t;
}();

// The hypercalls the core serves; the devices' are theirs (devices/*/).
constexpr HypercallRoute kCoreRoutes[] = {
    {Hypercall::block, hc_block},
    {Hypercall::exit, hc_exit},
    {Hypercall::report, hc_report},
    {Hypercall::discard, hc_discard},
    {Hypercall::advise, hc_advise},
    {Hypercall::upcall, hc_upcall},
    {Hypercall::preempt, hc_preempt},
    {Hypercall::ready, hc_ready},
};

}  // namespace

int64_t write_fully(int fd, const uint8_t* data, uint64_t len, const std::function<bool()>& stop) {
  uint64_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, data + done, len - done);
    if (n < 0) {
      if (errno == EINTR) {
        if (stop && stop()) return -EINTR;
        continue;
      }
      return done > 0 ? static_cast<int64_t>(done) : -errno;
    }
    done += static_cast<uint64_t>(n);
  }
  return static_cast<int64_t>(done);
}

const HypercallInfo& hypercall_info(uint16_t nr) {
  static const HypercallInfo kNone{};
  return nr < kTable.size() ? kTable[nr] : kNone;
}

HcHandlers core_hypercall_handlers() {
  HcHandlers handlers{};
  for (const auto& route : kCoreRoutes) handlers[static_cast<uint16_t>(route.nr)] = route.handler;
  return handlers;
}

Result<void> install_hypercalls(HypercallEnv& env, std::span<const HypercallRoute> routes) {
  for (const auto& route : routes) {
    auto nr = static_cast<uint16_t>(route.nr);
    if (hypercall_info(nr).name == nullptr) return make_error("no hypercall has number " + std::to_string(nr));
    if (env.handlers[nr] != nullptr)
      return make_error(std::string("hypercall ") + hypercall_info(nr).name + " has two handlers");
    env.handlers[nr] = route.handler;
  }
  return {};
}

HcHandler hypercall_handler(const HypercallEnv& env, uint16_t nr) {
  return nr < env.handlers.size() ? env.handlers[nr] : nullptr;
}

Result<HcAction> dispatch_hypercall(HypercallEnv& env, uint16_t nr, GuestAddr args) {
  HcHandler handler = hypercall_handler(env, nr);
  if (handler == nullptr) return make_error("no hypercall has number " + std::to_string(nr));
  return handler(env, args);
}

}  // namespace shoal::vmm
