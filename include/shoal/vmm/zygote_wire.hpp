// The messages between shoald and a template monitor (`shoal-vmm --zygote-fd
// N FILE.snap`, vmm/src/zygote.hpp): one request per instance to start, one
// reply with the new monitor's pid and a pidfd. The socket is a
// SOCK_SEQPACKET pair: one message is one datagram, descriptors ride along
// with SCM_RIGHTS. Both ends are host processes of one shoal build, but the
// template checks every field anyway (a wrong message is refused, never
// half-obeyed).
#pragma once

#include <stdint.h>

namespace shoal::zygote {

constexpr uint32_t kRequestMagic = 0x3147595a;  // "ZYG1"
constexpr uint32_t kReplyMagic = 0x3152595a;    // "ZYR1"

// What the new monitor does besides resuming the template's snapshot: the
// options a separately started monitor would have been given.
enum RequestFlags : uint32_t {
  kFlagKsm = 1u << 0,         // --ksm
  kFlagStartOnFd = 1u << 1,   // --start-on-fd: a sixth descriptor, a warm monitor's start pipe
  kFlagTiming = 1u << 2,      // --timing
  kFlagVerbose = 1u << 3,     // --verbose
  kKnownFlags = kFlagKsm | kFlagStartOnFd | kFlagTiming | kFlagVerbose,
};

// Descriptors of a request, in this order: the monitor's stdout, its stderr,
// then the channel's memfd, TO_HOST and TO_GUEST eventfds (--channel), then
// with kFlagStartOnFd the read end of its start pipe.
constexpr int kRequestFds = 5;
constexpr int kMaxRequestFds = 6;

struct Request {
  uint32_t magic = kRequestMagic;
  uint32_t flags = 0;
};

// pid > 0: the monitor runs (as shoald's child: clone with CLONE_PARENT, so
// its exit reaches shoald's waitpid as any monitor's does), and a pidfd for
// it rides along. pid == 0: not started; error is the errno.
struct Reply {
  uint32_t magic = kReplyMagic;
  int32_t pid = 0;
  int32_t error = 0;
  uint32_t reserved = 0;
};

static_assert(sizeof(Request) == 8 && sizeof(Reply) == 16);

}  // namespace shoal::zygote
