#include "fs/devfs.hpp"

#include "core/klib.hpp"
#include "vfs/alloc.hpp"
#include "fs/clock.hpp"
#include "fs/static_dir.hpp"
#include "fs/shmfs.hpp"
#include "fs/tmpfs.hpp"
#include "uapi/stat.hpp"

namespace libos::fs {
namespace {

enum class DevKind { null, zero, full, random, urandom, tty };

constexpr uint64_t makedev(uint32_t major, uint32_t minor) {
  return (static_cast<uint64_t>(major) << 8) | minor;
}

class DevNode final : public Vnode {
 public:
  DevKind m_kind = DevKind::null;

  static DevNode* create(DevKind kind, uint32_t major, uint32_t minor, uint64_t ino) {
    DevNode* n = make<DevNode>();
    if (n == nullptr) return nullptr;
    n->m_kind = kind;
    n->m_ino = ino;
    n->m_mode = uapi::S_IFCHR | 0666;
    n->m_rdev = makedev(major, minor);
    n->m_atime_ns = n->m_mtime_ns = n->m_ctime_ns = now_ns();
    return n;
  }

  FsId fs() const override { return FsId::dev; }
  bool read_only() const override { return false; }

  long open(int flags, File** out) override {
    // No controlling terminal: the instance's console is not a tty.
    if (m_kind == DevKind::tty) return -ENXIO;
    return Vnode::open(flags, out);
  }

  long read_at(void* buf, size_t len, uint64_t) override {
    switch (m_kind) {
      case DevKind::null: return 0;
      case DevKind::zero:
      case DevKind::full: memset(buf, 0, len); return static_cast<long>(len);
      case DevKind::random:
      case DevKind::urandom: fill_random(buf, len); return static_cast<long>(len);
      case DevKind::tty: break;
    }
    return -ENXIO;
  }

  long write_at(const void*, size_t len, uint64_t) override {
    if (m_kind == DevKind::full) return -ENOSPC;
    return static_cast<long>(len);
  }

  long truncate(uint64_t) override { return 0; }

  long map_copy(void* dst, size_t len, uint64_t) override {
    if (m_kind != DevKind::zero) return -ENODEV;
    memset(dst, 0, len);
    return 0;
  }
};

}  // namespace

Vnode* devfs_create(Vnode* parent, Vnode* console) {
  StaticDir* dev = StaticDir::create(FsId::dev, parent, "dev", 1);
  if (dev == nullptr) return nullptr;
  dev->add("null", DevNode::create(DevKind::null, 1, 3, 3));
  dev->add("zero", DevNode::create(DevKind::zero, 1, 5, 4));
  dev->add("full", DevNode::create(DevKind::full, 1, 7, 5));
  dev->add("random", DevNode::create(DevKind::random, 1, 8, 6));
  dev->add("urandom", DevNode::create(DevKind::urandom, 1, 9, 7));
  dev->add("tty", DevNode::create(DevKind::tty, 5, 0, 8));
  dev->add("console", console);
  dev->add("stdin", StaticLink::create(FsId::dev, "/proc/self/fd/0", 9));
  dev->add("stdout", StaticLink::create(FsId::dev, "/proc/self/fd/1", 10));
  dev->add("stderr", StaticLink::create(FsId::dev, "/proc/self/fd/2", 11));
  dev->add("fd", StaticLink::create(FsId::dev, "/proc/self/fd", 12));
  // /dev/shm in the family region when the monitor offers one (shared by
  // the process family, mapped in place), else a tmpfs.
  Vnode* shm = shmfs_create(dev);
  dev->add("shm", shm != nullptr ? shm : tmpfs_create(dev, "shm"));
  return dev;
}

}  // namespace libos::fs
