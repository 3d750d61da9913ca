// The values as libos/uapi defines them.
#include "uapi/auxvec.hpp"
#include "uapi/close_range.hpp"
#include "uapi/dirent.hpp"
#include "uapi/epoll.hpp"
#include "uapi/eventfd.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/file.hpp"
#include "uapi/fs.hpp"
#include "uapi/futex.hpp"
#include "uapi/in.hpp"
#include "uapi/ioctl.hpp"
#include "uapi/limits.hpp"
#include "uapi/magic.hpp"
#include "uapi/membarrier.hpp"
#include "uapi/memfd.hpp"
#include "uapi/mman.hpp"
#include "uapi/poll.hpp"
#include "uapi/prctl.hpp"
#include "uapi/random.hpp"
#include "uapi/resource.hpp"
#include "uapi/sched.hpp"
#include "uapi/signal.hpp"
#include "uapi/socket.hpp"
#include "uapi/stat.hpp"
#include "uapi/statfs.hpp"
#include "uapi/sysinfo.hpp"
#include "uapi/tcp.hpp"
#include "uapi/time.hpp"
#include "uapi/times.hpp"
#include "uapi/ucontext.hpp"
#include "uapi/uio.hpp"
#include "uapi/unistd.hpp"
#include "uapi/utsname.hpp"

#include "named.hpp"

// The auxiliary-vector tags live in their own namespace (AT_* of <elf.h> would otherwise meet
// the AT_* flags of <fcntl.h>); the list names both kinds plainly.
namespace libos::uapi {
using namespace auxv;
}

namespace uapi_test {

#define X(n) {#n, (long long)(libos::uapi::n)},
#define S(ours, theirs) {#ours, (long long)sizeof(libos::uapi::ours)},
const Named kLibosValues[] = {
#include "names.inc"
#include "sizes.inc"
};
const Named kLibosAsm[] = {
#include "asm.inc"
};

}  // namespace uapi_test
