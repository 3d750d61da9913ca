#include "fs/init.hpp"

#include "ipc/shm_files.hpp"

#include "core/panic.hpp"
#include "fs/console.hpp"
#include "fs/devfs.hpp"
#include "vfs/fdtable.hpp"
#include "vfs/path.hpp"
#include "fs/proc_cmdline.hpp"
#include "fs/pipe.hpp"
#include "fs/procfs.hpp"
#include "sched/process.hpp"
#include "fs/rootfs.hpp"
#include "fs/syscalls.hpp"
#include "fs/tmpfs.hpp"
#include "mm/file_map.hpp"
#include "uapi/fcntl.hpp"

namespace libos {
namespace {

// /proc/self/cmdline: the argc strings at the start of the args block.
void set_boot_cmdline(const shoal::abi::BootInfo& boot) {
  constexpr uint32_t kMax = 4096;
  if (boot.args_addr == 0 || boot.argc > kMax) return;
  static const char* strs[kMax];
  static size_t lens[kMax];
  // SAFETY: as exe_path below: every step stays inside args_size.
  const char* p = reinterpret_cast<const char*>(boot.args_addr);
  const char* end = p + boot.args_size;
  for (uint32_t i = 0; i < boot.argc; ++i) {
    const char* q = p;
    while (q < end && *q != '\0') ++q;
    if (q >= end) return;
    strs[i] = p;
    lens[i] = static_cast<size_t>(q - p);
    p = q + 1;
  }
  fs::proc_cmdline_set(strs, lens, boot.argc);
}

// The program's path: the string after argc argv and envc environment
// strings in the args block (abi/boot.h). "" if the block is malformed.
const char* exe_path(const shoal::abi::BootInfo& boot) {
  // SAFETY: the monitor wrote the args block at args_addr (user read-only,
  // below kArgsEnd); every step stays inside args_size.
  const char* p = reinterpret_cast<const char*>(boot.args_addr);
  const char* end = p + boot.args_size;
  if (boot.args_addr == 0) return "";
  uint64_t skip = static_cast<uint64_t>(boot.argc) + boot.envc;
  for (uint64_t i = 0; i < skip; ++i) {
    while (p < end && *p != '\0') ++p;
    if (p >= end) return "";
    ++p;
  }
  const char* path = p;
  while (p < end && *p != '\0') ++p;
  return p < end ? path : "";
}

// The console nodes fs_init made, opened as fds 0-2 by fs_open_stdio.
fs::Vnode* g_stdio[3];

void open_console(fs::Vnode* node, int fd, int flags) {
  fs::File* file = nullptr;
  if (node == nullptr || node->open(flags, &file) < 0) panic("out of memory opening the console");
  fs::fd_install_at(fd, file, false);
  file->put();  // fd_install_at took its own reference
}

}  // namespace

void fs_init(const shoal::abi::BootInfo& boot) {
  mm::set_file_reader(&fs_mmap_file);  // mmap of a file reads it through the fd table
  mm::set_file_sharer(&fs_mmap_shared);  // MAP_SHARED of a /dev/shm file maps it in place
  mm::set_shared_unmap(&ipc::shm_file_unmapped);  // and munmap ends such a mapping
  fs::Vnode* root = fs::rootfs_init(boot.rootfs_addr, boot.rootfs_size);
  fs::set_root(root);
  fs::rootfs_mount_writable();
  fs::set_cwd(root);

  fs::Vnode* in = fs::console_create(0);
  fs::Vnode* out = fs::console_create(1);
  fs::Vnode* err = fs::console_create(2);

  fs::Vnode* tmp = fs::tmpfs_create(root, "tmp");
  fs::Vnode* dev = fs::devfs_create(root, out);
  fs::Vnode* proc = fs::procfs_create(root, exe_path(boot));
  set_boot_cmdline(boot);
  if (tmp == nullptr || dev == nullptr || proc == nullptr) panic("out of memory mounting /tmp, /dev, /proc");
  fs::mount("tmp", tmp);
  fs::mount("dev", dev);
  fs::mount("proc", proc);
  g_stdio[0] = in;
  g_stdio[1] = out;
  g_stdio[2] = err;
  // At a fork, pipes move to the host so that both processes reach them.
  sched::set_fork_hooks({&fs::pipes_move_to_host});
}

void fs_open_stdio() {
  open_console(g_stdio[0], 0, uapi::O_RDONLY);
  open_console(g_stdio[1], 1, uapi::O_WRONLY);
  open_console(g_stdio[2], 2, uapi::O_WRONLY);
}

}  // namespace libos
