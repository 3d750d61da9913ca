// The values as the system headers define them (glibc and linux-libc-dev, with _GNU_SOURCE).
#include <asm/prctl.h>
#include <elf.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/magic.h>
#include <linux/membarrier.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "named.hpp"

namespace uapi_test {

#define X(n) {#n, (long long)(n)},
#define S(ours, theirs) {#ours, (long long)sizeof(theirs)},
const Named kLinuxValues[] = {
#include "names.inc"
#include "sizes.inc"
};
const int kValueCount = sizeof(kLinuxValues) / sizeof(kLinuxValues[0]);

}  // namespace uapi_test
