// execve and execveat: replace the program running in this instance with
// another ELF file (or #! script) of its file systems, as Linux does.
//
// Before the point of no return everything that can fail is checked while
// the old program still runs (its arguments copied, the file and its
// interpreter opened, their headers read): errors return as Linux's
// (ENOENT, EACCES, ENOEXEC, E2BIG, ELOOP, EFAULT). After it the old program
// goes: the other threads end (sched/exec_threads.hpp), its mappings are
// released (the window's reservations, the break, its pages in the image
// area made absent), the new one is loaded by the one ELF loader
// (exec/elf_load.hpp) and entered on a fresh stack. A failure there ends the
// instance as SIGKILL, as Linux kills a process whose exec fails that late.
// The LibOS's own state stays: files (close-on-exec ones closed), the
// working directory, /tmp, sockets, itimers, the pending signals and mask.
#include <new>

#include <shoal/abi/layout.h>

#include "arch/x86_64/cpu.hpp"
#include "core/boot_flags.hpp"
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/panic.hpp"
#include "core/random.hpp"
#include "core/uaccess.hpp"
#include "exec/arg_list.hpp"
#include "exec/elf_load.hpp"
#include "exec/script.hpp"
#include "exec/syscalls.hpp"
#include "exec/user_stack.hpp"
#include "fs/proc_cmdline.hpp"
#include "fs/procfs.hpp"
#include "fs/syscalls.hpp"
#include "mm/heap_protect.hpp"
#include "mm/kmalloc.hpp"
#include "mm/page_alloc.hpp"
#include "mm/window.hpp"
#include "sched/exec_threads.hpp"
#include "sched/signal_state.hpp"
#include "sched/thread.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/limits.hpp"
#include "uapi/mman.hpp"
#include "uapi/stat.hpp"
#include "vfs/fdtable.hpp"

extern "C" [[noreturn]] void shoal_enter_app(uint64_t entry, uint64_t user_rsp);

namespace libos::sched {
// A vfork child's exec lets its parent go on, as Linux's exec releases the
// vfork'd parent once the old memory is gone. The process model (fork as a
// VM clone, sched/process.cpp on its branch) defines it; until it is there,
// this weak stand-in (there is no vfork) does nothing, and the strong
// definition replaces it at link time without a change here.
__attribute__((weak)) void vfork_done() {}
}  // namespace libos::sched

namespace libos::exec {

namespace {

using namespace uapi;

// binfmt_script may nest: a script's interpreter a script (Linux allows 4
// levels beyond the first file, BINPRM_MAX_RECURSION, then ELOOP).
constexpr int kMaxDepth = 5;

// A kmalloc'd copy of s[0, len), NUL-terminated; nullptr when out of memory.
char* dup(const char* s, size_t len) {
  auto* c = static_cast<char*>(kmalloc(len + 1));
  if (c == nullptr) return nullptr;
  memcpy(c, s, len);
  c[len] = '\0';
  return c;
}

// Everything execve holds before its point of no return, released on the
// way out of a failed call.
struct ExecState {
  ArgList args;
  ArgList env;
  char* filename = nullptr;  // as the program gave it (AT_EXECFN, comm)
  char* path = nullptr;      // the file being looked at (a script's interpreter after it)
  char* interp = nullptr;    // PT_INTERP, or nullptr
  char* exe = nullptr;       // /proc/self/exe: the absolute path of the ELF file
  char* head = nullptr;      // the first bytes of the file
  ElfFile* file = nullptr;
  ElfFile* interp_file = nullptr;
  int fd = -1, interp_fd = -1;

  ~ExecState() {
    if (fd >= 0) sys_close(fd);
    if (interp_fd >= 0) sys_close(interp_fd);
    kfree(filename);
    kfree(path);
    kfree(interp);
    kfree(exe);
    kfree(head);
    kfree(file);
    kfree(interp_file);
  }
};

// Opens what execve names and checks it may be executed: a regular file
// with an execute bit (EACCES otherwise, as for a directory).
long open_exec(int dirfd, const char* path, int flags) {
  int oflags = O_RDONLY | O_CLOEXEC;
  if (flags & AT_SYMLINK_NOFOLLOW) oflags |= O_NOFOLLOW;
  // O_NOFOLLOW on a symlink: ELOOP, as execveat's AT_SYMLINK_NOFOLLOW gives.
  long fd = sys_openat(dirfd, path, oflags, 0);
  if (fd < 0) return fd;
  auto* st = static_cast<Stat*>(kmalloc(sizeof(Stat)));
  long r = st == nullptr ? -ENOMEM : sys_fstat(static_cast<int>(fd), st);
  if (r == 0 && (!s_isreg(st->mode) || (st->mode & 0111) == 0)) r = -EACCES;
  kfree(st);
  if (r < 0) {
    sys_close(static_cast<int>(fd));
    return r;
  }
  return fd;
}

// prefix followed by fd's number, kmalloc'd; nullptr when out of memory.
char* fd_name(const char* prefix, int fd) {
  char digits[12];
  size_t d = 0;
  for (unsigned v = static_cast<unsigned>(fd); d == 0 || v != 0; v /= 10) digits[d++] = static_cast<char>('0' + v % 10);
  size_t n = strlen(prefix);
  auto* out = static_cast<char*>(kmalloc(n + d + 1));
  if (out == nullptr) return nullptr;
  memcpy(out, prefix, n);
  while (d > 0) out[n++] = digits[--d];
  out[n] = '\0';
  return out;
}

// The absolute path of an open file, as /proc/self/fd/N names it.
char* path_of(int fd) {
  char* link = fd_name("/proc/self/fd/", fd);  // the path walk reads it as program memory
  auto* buf = static_cast<char*>(kmalloc(kPathMax));
  long len = (link == nullptr || buf == nullptr) ? -ENOMEM : sys_readlink(link, buf, kPathMax - 1);
  kfree(link);
  if (len <= 0) {
    kfree(buf);
    return nullptr;
  }
  buf[len] = '\0';
  return buf;
}

// Finds the ELF file execve runs: the file itself, or the interpreter of a
// #! script (nested up to kMaxDepth), and reads its headers. On success
// st.fd and st.file are the ELF file's, st.args its arguments.
long find_program(ExecState& st, int dirfd, int flags) {
  st.head = static_cast<char*>(kmalloc(kScriptHeadBytes));
  if (st.head == nullptr) return -ENOMEM;
  for (int depth = 0;; ++depth) {
    if (depth >= kMaxDepth) return -ELOOP;
    long fd = open_exec(depth == 0 ? dirfd : AT_FDCWD, st.path, depth == 0 ? flags : 0);
    if (fd < 0) return fd;
    st.fd = static_cast<int>(fd);
    long got = sys_pread64(st.fd, st.head, kScriptHeadBytes, 0);
    if (got < 0) return got;
    ScriptLine line;
    long script = parse_script(st.head, static_cast<size_t>(got), &line);
    if (script < 0) return script;
    if (script == 0) break;
    // argv becomes: interpreter, its argument if any, the script's path,
    // then the old argv without its argv[0] (binfmt_script).
    st.args.drop_front();
    long r = st.args.push(st.path, strlen(st.path), true);
    if (r == 0 && line.arg != nullptr) r = st.args.push(line.arg, line.arg_len, true);
    if (r == 0) r = st.args.push(line.interp, line.interp_len, true);
    if (r < 0) return r;
    kfree(st.path);
    st.path = dup(line.interp, line.interp_len);
    if (st.path == nullptr) return -ENOMEM;
    sys_close(st.fd);
    st.fd = -1;
  }
  st.file = static_cast<ElfFile*>(kzalloc(sizeof(ElfFile)));
  if (st.file == nullptr) return -ENOMEM;
  if (long r = elf_read(st.fd, st.file); r < 0) return r;
  if (st.file->interp_len != 0) {
    st.interp = static_cast<char*>(kmalloc(kPathMax));
    if (st.interp == nullptr) return -ENOMEM;
    if (long r = elf_interp_path(*st.file, st.interp, kPathMax); r < 0) return r;
    long ifd = open_exec(AT_FDCWD, st.interp, 0);
    // Linux's error for a missing interpreter is the open's (ENOENT).
    if (ifd < 0) return ifd;
    st.interp_fd = static_cast<int>(ifd);
    st.interp_file = static_cast<ElfFile*>(kzalloc(sizeof(ElfFile)));
    if (st.interp_file == nullptr) return -ENOMEM;
    if (long r = elf_read(st.interp_fd, st.interp_file); r < 0) return r;
    // shoal places the interpreter (boot/interp.cpp): it must be ET_DYN.
    if (st.interp_file->eh.e_type != ET_DYN) return -ENOEXEC;
  }
  st.exe = path_of(st.fd);
  if (st.exe == nullptr) st.exe = dup(st.path, strlen(st.path));
  return st.exe == nullptr ? -ENOMEM : 0;
}

// The late failure: the old program is gone, so the process dies as SIGKILL.
[[noreturn]] void fail_late(const char* path, const char* why, long err) {
  kprint("shoal: execve ");
  kprint(path);
  kprint(": ");
  kprint(why);
  kprint(" (errno ");
  kprint_u64(static_cast<unsigned long long>(-err));
  kprint(") after the old program was released\n");
  signal_die(SIGKILL, nullptr);
}

// The old program's mappings and break go; the LibOS's memory (its heap,
// the fd table, /tmp) stays.
void release_program_memory() {
  mm::window::unmap_all();
  uint64_t base = mm::brk_base();
  uint64_t end = mm::page_up(mm::brk_current());
  if (end > base) mm::release(base, end - base);
  mm::set_brk_current(base);
}

// Signals as Linux leaves them across execve: handlers back to the default,
// ignored signals stay ignored, the mask and pending signals are kept, the
// alternate stack is gone.
void reset_signals(sched::Thread* t) {
  for (int sig = 1; sig <= kSignals; ++sig) {
    if (g_sig_actions[sig].handler != SIG_IGN) g_sig_actions[sig] = KSigaction{};
  }
  t->altstack_sp = 0;
  t->altstack_size = 0;
  t->altstack_flags = SS_DISABLE;
  t->sig_record = nullptr;
  t->in_suspend = false;
}

void close_on_exec() {
  for (int fd = 0; fd < fs::fd_limit(); ++fd) {
    if (fs::fd_get(fd) != nullptr && fs::fd_cloexec(fd)) (void)fs::fd_close(fd);
  }
}

// The thread starts the new program as a new process's first thread: no
// TLS, no robust list, no clear_child_tid, extended state at its reset
// values (the x87 and SSE control words Linux's fpu init gives).
void reset_thread(sched::Thread* t, const char* filename) {
  t->clear_child_tid = nullptr;
  t->robust_head = 0;
  t->exit_unmap_addr = 0;
  t->exit_unmap_len = 0;
  t->fs_base = 0;
  t->gs_base = 0;
  cpu::wrfsbase(0);
  cpu::wrgsbase(0);
  auto* area = static_cast<uint8_t*>(kzalloc(sched::xsave_size() + 64));
  if (area != nullptr) {
    auto* x = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(area) + 63) & ~uintptr_t{63});
    uint32_t mxcsr = 0x1f80;
    memcpy(x + 24, &mxcsr, sizeof mxcsr);
    // XSTATE_BV 0: every component in its initial state, MXCSR as above.
    cpu::xrstor(x, sched::xsave_mask());
    kfree(area);
  }
  const char* base = filename;
  for (const char* p = filename; *p != '\0'; ++p)
    if (*p == '/') base = p + 1;
  size_t n = 0;
  for (; base[n] != '\0' && n < sizeof t->name - 1; ++n) t->name[n] = base[n];
  t->name[n] = '\0';
}

[[noreturn]] void start_new_program(ExecState& st) {
  sched::Thread* t = sched::current();
  sched::end_other_threads();
  release_program_memory();
  sched::vfork_done();
  // The image area (the first program's sections, or an ET_EXEC program an
  // earlier execve loaded) goes too; an ET_EXEC program's load decides how
  // (elf_load.hpp: in place when it is the same program).
  if (st.file->eh.e_type != ET_EXEC) clear_image_area();

  Loaded prog, interp;
  long r = elf_map(*st.file, &prog);
  if (r < 0) fail_late(st.path, "cannot load the program", r);
  if (st.interp_file != nullptr) {
    r = elf_map(*st.interp_file, &interp);
    if (r < 0) fail_late(st.interp, "cannot load the interpreter", r);
  }
  sys_close(st.fd);
  st.fd = -1;
  if (st.interp_fd >= 0) sys_close(st.interp_fd);
  st.interp_fd = -1;

  close_on_exec();
  reset_signals(t);
  reset_thread(t, st.filename);
  fs::procfs_exec(st.exe, st.filename);
  fs::proc_cmdline_set(st.args.strings(), st.args.lengths(), st.args.count());

  // The new stack: the main thread's, whichever thread called execve.
  const auto& boot = boot_info();
  uint8_t random[16];
  random_bytes(random, sizeof random);
  StackImage img;
  img.strings = nullptr;
  // argv then envp, one array.
  uint32_t argc = st.args.count(), envc = st.env.count();
  auto** strs = static_cast<const char**>(kmalloc((argc + envc + 1) * sizeof(char*)));
  auto* lens = static_cast<size_t*>(kmalloc((argc + envc + 1) * sizeof(size_t)));
  if (strs == nullptr || lens == nullptr) fail_late(st.path, "no memory for the new stack", -ENOMEM);
  for (uint32_t i = 0; i < argc; ++i) strs[i] = st.args.strings()[i], lens[i] = st.args.lengths()[i];
  for (uint32_t i = 0; i < envc; ++i) strs[argc + i] = st.env.strings()[i], lens[argc + i] = st.env.lengths()[i];
  img.strings = strs;
  img.lengths = lens;
  img.argc = argc;
  img.envc = envc;
  img.execfn = st.filename;
  img.execfn_len = strlen(st.filename);
  img.phdr = prog.phdr;
  img.phent = sizeof(Elf64Phdr);
  img.phnum = st.file->eh.e_phnum;
  img.entry = prog.entry;
  img.interp_base = st.interp_file != nullptr ? interp.base : 0;
  img.random = random;
  img.hwcap = boot.hwcap;
  img.hwcap2 = boot.hwcap2;
  uint64_t rsp = build_user_stack(boot.stack_top, img);
  uint64_t entry = st.interp_file != nullptr ? interp.entry : prog.entry;
  kfree(strs);
  kfree(lens);
  st.~ExecState();
  kfree(&st);  // do_execve's kzalloc
  shoal_enter_app(entry, rsp);
}

long do_execve(int dirfd, const char* upath, char* const* argv, char* const* envp, int flags) {
  // Linux's order: the path (EFAULT, ENAMETOOLONG, ENOENT when empty
  // without AT_EMPTY_PATH), the flags, the file, then the strings.
  long plen = user_strnlen(upath, kPathMax);
  if (plen < 0) return plen;
  if (plen == 0 && (flags & AT_EMPTY_PATH) == 0) return -ENOENT;
  if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) != 0) return -EINVAL;
  // The state lives on the LibOS heap: start_new_program never returns, and
  // the boot stack is small.
  void* mem = kzalloc(sizeof(ExecState));
  if (mem == nullptr) return -ENOMEM;
  auto* st = new (mem) ExecState();
  long r = 0;
  if (plen == 0 && (flags & AT_EMPTY_PATH) != 0 && dirfd >= 0) {
    // execveat(fd, "", ..., AT_EMPTY_PATH): the file fd names, called
    // /dev/fd/N as Linux calls it, opened through /proc/self/fd/N.
    st->filename = fd_name("/dev/fd/", dirfd);
    st->path = fd_name("/proc/self/fd/", dirfd);
    dirfd = AT_FDCWD;
  } else if (plen == 0) {
    r = -ENOENT;
  } else {
    st->filename = dup(upath, static_cast<size_t>(plen));
    st->path = st->filename == nullptr ? nullptr : dup(upath, static_cast<size_t>(plen));
  }
  if (r == 0 && (st->filename == nullptr || st->path == nullptr)) r = -ENOMEM;
  if (r == 0) {
    // The file's errors come before the strings' (Linux opens it first).
    long fd = open_exec(dirfd, st->path, flags);
    if (fd < 0) r = fd;
    else sys_close(static_cast<int>(fd));
  }
  if (r == 0) r = st->args.copy_from_user(argv);
  if (r == 0) r = st->env.copy_from_user(envp);
  // Linux gives a program run with an empty argv an argv[0] of "".
  if (r == 0 && st->args.count() == 0) r = st->args.push("", 0);
  if (r == 0) r = find_program(*st, dirfd, flags);
  if (r == 0 && user_stack_bytes(st->args.bytes() + st->env.bytes() + strlen(st->filename) + 1,
                                 st->args.count() + st->env.count()) > kMaxArgBytes)
    r = -E2BIG;
  if (r == 0) start_new_program(*st);
  st->~ExecState();
  kfree(st);
  return r;
}

}  // namespace

}  // namespace libos::exec

long sys_execve(const char* path, char* const* argv, char* const* envp) {
  return libos::exec::do_execve(libos::uapi::AT_FDCWD, path, argv, envp, 0);
}

long sys_execveat(int dirfd, const char* path, char* const* argv, char* const* envp, int flags) {
  return libos::exec::do_execve(dirfd, path, argv, envp, flags);
}
