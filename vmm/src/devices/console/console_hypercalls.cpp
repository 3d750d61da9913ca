#include "devices/console/console_hypercalls.hpp"

#include <errno.h>
#include <stddef.h>
#include <unistd.h>


namespace shoal::vmm {
namespace {

using namespace shoal::abi;

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

}  // namespace

std::vector<HypercallRoute> console_hypercalls() {
  return {{Hypercall::console_write, hc_console_write}, {Hypercall::console_read, hc_console_read}};
}

}  // namespace shoal::vmm
