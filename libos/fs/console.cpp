#include "fs/console.hpp"

#include <shoal/abi/hypercall.h>

#include "core/family.hpp"
#include "core/hypercall.hpp"
#include "core/klib.hpp"
#include "core/window.hpp"
#include "mm/window.hpp"
#include "mm/kmalloc.hpp"
#include "vfs/alloc.hpp"
#include "fs/clock.hpp"
#include "vfs/file.hpp"
#include "uapi/stat.hpp"
#include "uapi/uio.hpp"

namespace libos::fs {
namespace {

using shoal::abi::HcConsoleRead;
using shoal::abi::HcConsoleWrite;
using shoal::abi::Hypercall;

constexpr size_t kMaxTransfer = 1u << 20;  // per hypercall (abi/hypercall.h)
constexpr size_t kGatherSize = 64u << 10;

// Hypercall argument structs must lie below 4 GiB: LibOS data is. The LibOS
// is cooperative and a hypercall does not yield, so one of each suffices.
HcConsoleWrite g_write_args;
HcConsoleRead g_read_args;
char* g_gather = nullptr;
// The monitor reaches guest memory and the window, not the family region
// (shared memory segments): bytes there go through this buffer.
constexpr size_t kBounceSize = 4096;
char g_bounce[kBounceSize];

long console_write(uint32_t fd, const void* buf, size_t len);

long console_write_bounced(uint32_t fd, const char* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    size_t chunk = len - done < kBounceSize ? len - done : kBounceSize;
    memcpy(g_bounce, buf + done, chunk);
    long n = console_write(fd, g_bounce, chunk);
    if (n < 0) return done > 0 ? static_cast<long>(done) : n;
    done += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < chunk) break;
  }
  return static_cast<long>(done);
}

long console_write(uint32_t fd, const void* buf, size_t len) {
  if (family::contains(reinterpret_cast<uint64_t>(buf), len))
    return console_write_bounced(fd, static_cast<const char*>(buf), len);
  size_t done = 0;
  while (done < len) {
    size_t chunk = len - done < kMaxTransfer ? len - done : kMaxTransfer;
    // The monitor takes a window buffer one 2 MiB chunk at a time (its frames
    // need not be contiguous; core/window.hpp).
    uint64_t at = reinterpret_cast<uint64_t>(buf) + done;
    if (window::contains(at, chunk) && chunk > window::kChunk - (at & (window::kChunk - 1)))
      chunk = window::kChunk - (at & (window::kChunk - 1));
    g_write_args = HcConsoleWrite{fd, 0, reinterpret_cast<uint64_t>(buf) + done, chunk, 0};
    hypercall(Hypercall::console_write, &g_write_args);
    long n = g_write_args.result;
    if (n < 0) return done > 0 ? static_cast<long>(done) : n;
    done += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < chunk) break;
  }
  return static_cast<long>(done);
}

class ConsoleNode final : public Vnode {
 public:
  int m_stream = 1;

  FsId fs() const override { return FsId::console; }
  bool read_only() const override { return false; }
  bool seekable() const override { return false; }
  long open(int flags, File** out) override;
  uint32_t out_fd() const { return m_stream == 2 ? 2 : 1; }

  long read_at(void* buf, size_t len, uint64_t) override {
    if (len > kMaxTransfer) len = kMaxTransfer;
    if (len == 0) return 0;
    uint64_t at = reinterpret_cast<uint64_t>(buf);
    if (family::contains(at, len)) {
      if (len > kBounceSize) len = kBounceSize;
      long n = read_at(g_bounce, len, 0);
      if (n > 0) memcpy(buf, g_bounce, static_cast<size_t>(n));
      return n;
    }
    if (window::contains(at, len) && len > window::kChunk - (at & (window::kChunk - 1)))
      len = window::kChunk - (at & (window::kChunk - 1));
    g_read_args = HcConsoleRead{0, 0, reinterpret_cast<uint64_t>(buf), len, 0};
    hypercall(Hypercall::console_read, &g_read_args);
    if (g_read_args.result > 0) mm::window::note_written(at, static_cast<uint64_t>(g_read_args.result));
    return g_read_args.result;
  }

  long write_at(const void* buf, size_t len, uint64_t) override {
    if (len == 0) return 0;
    return console_write(out_fd(), buf, len);
  }
  // ioctl: the default -ENOTTY for TCGETS and TIOCGWINSZ is what we want:
  // not a terminal, so glibc buffers stdout fully.
};

class ConsoleFile final : public VnodeFile {
 public:
  long writev(const uapi::Iovec* iov, int count) override {
    auto* node = static_cast<ConsoleNode*>(m_node);
    if (g_gather == nullptr) g_gather = static_cast<char*>(kmalloc(kGatherSize));
    if (g_gather == nullptr) return File::writev(iov, count);
    long total = 0;
    size_t used = 0;
    auto flush = [&]() -> bool {
      if (used == 0) return true;
      long n = console_write(node->out_fd(), g_gather, used);
      bool all = n == static_cast<long>(used);
      if (n > 0) total += n;
      if (n < 0 && total == 0) total = n;
      used = 0;
      return all;
    };
    for (int i = 0; i < count; ++i) {
      size_t len = iov[i].len;
      if (len == 0) continue;
      if (len > kGatherSize - used) {
        if (!flush()) return total;
      }
      if (len >= kGatherSize) {
        // Large pieces go straight from the program's buffer.
        long n = console_write(node->out_fd(), iov[i].base, len);
        if (n < 0) return total > 0 ? total : n;
        total += n;
        if (static_cast<size_t>(n) < len) return total;
        continue;
      }
      memcpy(g_gather + used, iov[i].base, len);
      used += len;
    }
    flush();
    return total;
  }
};

long ConsoleNode::open(int flags, File** out) {
  ConsoleFile* file = make<ConsoleFile>();
  if (file == nullptr) return -ENOMEM;
  ref();
  file->m_node = this;
  file->m_flags = flags;
  *out = file;
  return 0;
}

}  // namespace

Vnode* console_create(int stream) {
  ConsoleNode* node = make<ConsoleNode>();
  if (node == nullptr) return nullptr;
  node->m_stream = stream;
  node->m_ino = 100 + static_cast<uint64_t>(stream);
  node->m_mode = uapi::S_IFCHR | 0620;
  node->m_rdev = (5u << 8) | 1;  // as /dev/console
  node->m_atime_ns = node->m_mtime_ns = node->m_ctime_ns = now_ns();
  return node;
}

}  // namespace libos::fs
