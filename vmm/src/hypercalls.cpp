#include "hypercalls.hpp"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>

#include <shoal/abi/layout.h>

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

enum class Access { read, write };

// A guest buffer the monitor may use: inside guest memory and, for reading,
// at or above the BootInfo page (the guest may print its own argv), for
// writing, at or above the LibOS (never the monitor's tables).
Result<std::span<uint8_t>> guest_buffer(const HypercallEnv& env, const char* what, GuestAddr addr, uint64_t len,
                                        Access access) {
  auto bytes = env.mem->span(addr, len);
  if (!bytes) return make_error(std::string(what) + " " + bytes.error().message, EFAULT);
  uint64_t floor = access == Access::read ? kBootInfoAddr : kLibosBase;
  if (len > 0 && addr < floor) {
    return make_error(std::string(what) + " " + hex(addr) + " + " + std::to_string(len) +
                          " inside monitor-owned memory (below " + hex(floor) + ")",
                      EFAULT);
  }
  return bytes;
}

template <typename T>
Result<T> read_args(const HypercallEnv& env, GuestAddr addr) {
  auto bytes = TRY(guest_buffer(env, "argument struct", addr, sizeof(T), Access::write));
  T value;
  // SAFETY: bytes is a checked span of sizeof(T) bytes; copied once, so the
  // guest cannot change fields between validation and use.
  memcpy(&value, bytes.data(), sizeof(T));
  return value;
}

template <typename T>
Result<void> write_field(const HypercallEnv& env, GuestAddr struct_addr, size_t offset, const T& value) {
  return env.mem->write(struct_addr + offset, value);
}

Result<HcAction> hc_console_write(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcConsoleWrite>(env, a));
  int64_t result;
  if (args.fd != 1 && args.fd != 2) {
    result = -EBADF;
  } else if (args.len > kMaxConsoleTransfer) {
    result = -EINVAL;
  } else {
    auto buf = TRY(guest_buffer(env, "buffer", args.buf, args.len, Access::read));
    if (!env.wrote) {
      env.wrote = true;
      if (env.on_first_write) env.on_first_write();
    }
    result = write_fully(args.fd == 1 ? env.stdout_fd : env.stderr_fd, buf.data(), buf.size(), env.timed_out);
    if (result == -EINTR && env.timed_out && env.timed_out()) return HcAction{HcAction::Kind::timeout};
  }
  TRY(write_field(env, a, offsetof(HcConsoleWrite, result), result));
  return HcAction{};
}

Result<HcAction> hc_console_read(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcConsoleRead>(env, a));
  int64_t result;
  if (args.fd != 0) {
    result = -EBADF;
  } else if (args.len > kMaxConsoleTransfer) {
    result = -EINVAL;
  } else {
    auto buf = TRY(guest_buffer(env, "buffer", args.buf, args.len, Access::write));
    for (;;) {
      ssize_t n = read(env.stdin_fd, buf.data(), buf.size());
      if (n >= 0) {
        result = n;
        break;
      }
      if (errno == EINTR) {
        if (env.timed_out && env.timed_out()) return HcAction{HcAction::Kind::timeout};
        continue;
      }
      result = -errno;
      break;
    }
  }
  TRY(write_field(env, a, offsetof(HcConsoleRead, result), result));
  return HcAction{};
}

Result<HcAction> hc_block(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcBlock>(env, a));
  if (args.timeout_ns == UINT64_MAX && !env.has_event_source) return HcAction{HcAction::Kind::deadlock};
  if (env.sleep && !env.sleep(args.timeout_ns)) return HcAction{HcAction::Kind::timeout};
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
    // SAFETY: a checked, page-aligned range of the guest mapping above the
    // image: MADV_DONTNEED drops the pages and later reads see zeros.
    if (madvise(range.data(), range.size(), MADV_DONTNEED) < 0) result = -errno;
  }
  TRY(write_field(env, a, offsetof(HcDiscard, result), result));
  return HcAction{};
}

Result<HcAction> hc_upcall(HypercallEnv& env, GuestAddr a) {
  auto args = TRY(read_args<HcUpcall>(env, a));
  int64_t result = 0;
  // The entry must be LibOS code: the monitor resumes the vCPU there with
  // the program's registers in hand, so it must not be program code. The
  // record is only ever written by the monitor, never read back.
  if (args.entry < kLibosBase || args.entry >= kLibosLimit || args.record % 8 != 0 ||
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
  if (env.upcall_entry == 0 || args.area % 8 != 0 || !env.mem->contains(args.area, sizeof(PreemptArea)) ||
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
#define SHOAL_HC_ENTRY(name, nr, type) t[nr] = HypercallInfo{#name, &hc_##name, sizeof(type)};
  SHOAL_HYPERCALLS(SHOAL_HC_ENTRY)
#undef SHOAL_HC_ENTRY
  return t;
}();

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

Result<HcAction> dispatch_hypercall(HypercallEnv& env, uint16_t nr, GuestAddr args) {
  const auto& info = hypercall_info(nr);
  if (info.handler == nullptr) return make_error("no hypercall has number " + std::to_string(nr));
  return info.handler(env, args);
}

}  // namespace shoal::vmm
