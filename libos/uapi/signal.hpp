// Linux x86-64 layouts and numbers of <signal.h> (one definition for the whole LibOS;
// sizes are checked against the kernel's uapi headers with static_assert).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

struct Sigevent {
  int64_t value;   // union sigval
  int32_t signo;
  int32_t notify;
  int32_t tid;     // sigev_notify_thread_id
  uint8_t pad[64 - 20];
};
static_assert(sizeof(Sigevent) == 64);

struct KSigaction {
  uint64_t handler;
  uint64_t flags;
  uint64_t restorer;
  uint64_t mask;
};

struct Siginfo {
  int32_t signo, errno_, code, pad;
  int32_t pid;
  uint32_t uid;
  uint8_t rest[128 - 24];
};
static_assert(sizeof(Siginfo) == 128);

struct Stack {
  uint64_t sp;
  int32_t flags;
  int32_t pad;
  uint64_t size;
};

}  // namespace libos::uapi
