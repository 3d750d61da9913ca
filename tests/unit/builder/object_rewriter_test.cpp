// rewrite_elf_object on Debian's own objects: ld.so, libc.so.6, libm,
// libstdc++, libpython and the programs ls, bash, python3 are rewritten into a
// scratch directory and run natively through the rewritten ld.so by
// `native_run --ld`, whose stand-in for shoal_syscall_entry makes the real
// system call. Output and exit status must equal the unmodified programs'.
// Malformed files must give one-line errors, never crash.
#include <elf.h>
#include <string.h>

#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include <shoal/base/strf.hpp>
#include <shoal/builder/elf_program.hpp>
#include <shoal/builder/object_rewriter.hpp>

#include "test_util.hpp"

namespace {

using namespace shoal;

// Any address the native_run process leaves free; stands for the LibOS's
// shoal_syscall_entry.
constexpr uint64_t kEntry = 0x300000;

struct Rewritten {
  std::string path;  // in the scratch dir
  uint32_t sites = 0, rewritten = 0;
  std::vector<uint64_t> fallback;
};

std::string objdir() {
  static const std::string d = [] {
    std::string p = test::scratch_dir() + "/objects";
    test::run("mkdir -p " + p);
    return p;
  }();
  return d;
}

void write_file(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  test::run("chmod +x " + path);
}

// Rewrites `host` into the object dir under `name` (once per test process).
const Rewritten& rewrite(const std::string& host, const std::string& name) {
  static std::map<std::string, Rewritten> done;
  auto it = done.find(name);
  if (it != done.end()) return it->second;
  Rewritten r;
  r.path = objdir() + "/" + name;
  auto in = builder::read_file(host, 1ull << 30);
  EXPECT_TRUE(in.ok()) << host;
  if (in.ok()) {
    auto out = builder::rewrite_elf_object(*in, {kEntry});
    EXPECT_TRUE(out.ok()) << host << ": " << out.error().message;
    if (out.ok()) {
      write_file(r.path, out->file);
      r.sites = out->sites;
      r.rewritten = out->rewritten;
      r.fallback = out->fallback;
      std::cout << host << ": syscall sites " << r.sites << ", rewritten " << r.rewritten;
      for (uint64_t a : r.fallback) std::cout << strf(" fallback {:#x}", a);
      std::cout << "\n";
    }
  }
  return done.emplace(name, r).first->second;
}

// The loader and DT_NEEDED closure of `prog` as the host resolves it (ldd),
// each rewritten into the object dir; returns the rewritten program's path.
std::string rewrite_closure(const std::string& prog, const std::string& name) {
  auto ldd = test::run("ldd " + prog);
  EXPECT_EQ(ldd.status, 0) << ldd.out;
  std::istringstream lines(ldd.out);
  std::string line;
  bool interp = false;
  while (std::getline(lines, line)) {
    EXPECT_EQ(line.find("not found"), std::string::npos) << line;
    auto arrow = line.find("=> ");
    std::string path;
    if (arrow != std::string::npos) {
      path = line.substr(arrow + 3, line.find(" (") - arrow - 3);
    } else if (line.find("ld-linux") != std::string::npos) {
      auto start = line.find('/');
      path = line.substr(start, line.find(" (") - start);
      const auto& ld = rewrite(path, "ld.so");
      // The loader and libc are where glibc's system calls are.
      EXPECT_GE(ld.rewritten * 100, ld.sites * 95) << path;
      EXPECT_GT(ld.sites, 0u);
      interp = true;
      continue;
    }
    if (path.empty()) continue;  // linux-vdso.so.1
    const auto& lib = rewrite(path, path.substr(path.rfind('/') + 1));
    if (path.find("/libc.so.6") != std::string::npos) {
      EXPECT_GT(lib.sites, 100u);
      EXPECT_GE(lib.rewritten * 100, lib.sites * 95) << path;
    }
  }
  EXPECT_TRUE(interp) << prog << ": no interpreter in ldd's answer";
  return rewrite(prog, name).path;
}

// Runs `prog args` natively and through the rewritten loader; same answers.
// `as_interpreter`: also run it as the LibOS would start it (a PIE only).
void expect_same(const std::string& prog, const std::string& name, const std::string& args,
                 bool as_interpreter = true) {
  ASSERT_FALSE(prog.empty());
  std::string rewritten = rewrite_closure(prog, name);
  auto native = test::run(prog + " " + args + " 2>&1");
  std::string ld = objdir() + "/ld.so --inhibit-cache --library-path " + objdir();
  auto shoal =
      test::run(strf("{} --ld {:#x} {} {} {} 2>&1", SHOAL_TEST_NATIVE_RUN, kEntry, ld, rewritten, args));
  // Messages name the program by its argv[0], which is the rewritten copy.
  auto unname = [&](std::string& out) {
    for (size_t at; (at = out.find(rewritten)) != std::string::npos;) out.replace(at, rewritten.size(), prog);
  };
  unname(shoal.out);
  EXPECT_EQ(shoal.status, native.status) << name << ": " << shoal.out;
  EXPECT_EQ(shoal.out, native.out) << name;
  // A PIE also the way the LibOS starts it: mapped with the rewritten ld.so
  // as its interpreter (AT_PHDR from the moved program headers, AT_BASE).
  auto head = test::read_bytes(prog);
  Elf64_Ehdr eh{};
  if (head.size() >= sizeof eh) memcpy(&eh, head.data(), sizeof eh);
  if (eh.e_type != ET_DYN || !as_interpreter) return;
  auto interp = test::run(strf("NATIVE_RUN_LIBRARY_PATH={} {} --interp {:#x} {}/ld.so {} {} 2>&1", objdir(),
                               SHOAL_TEST_NATIVE_RUN, kEntry, objdir(), rewritten, args));
  unname(interp.out);
  EXPECT_EQ(interp.status, native.status) << name << " (as interpreter): " << interp.out;
  EXPECT_EQ(interp.out, native.out) << name << " (as interpreter)";
}

const char* kThreadsCpp = R"(#include <iostream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>
int main() {
  std::mutex m; long counter = 0; std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i) ts.emplace_back([&] { for (int k = 0; k < 10000; ++k) { std::lock_guard<std::mutex> g(m); ++counter; } });
  for (auto& t : ts) t.join();
  try { throw std::runtime_error("boom"); } catch (const std::exception& e) { std::cout << e.what() << " "; }
  std::map<int, int> mm; for (int i = 0; i < 1000; ++i) mm[i * 7 % 1000] = i;
  std::cout << "counter " << counter << " " << mm.size() << std::endl;
  return 5;
}
)";

const char* kCancelC = R"(#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static void cleanup(void* a) { (void)a; printf("cleanup ran\n"); }
static void* body(void* a) {
  (void)a; int p[2]; pipe(p); char c;
  pthread_cleanup_push(cleanup, 0); read(p[0], &c, 1); pthread_cleanup_pop(0);
  return 0;
}
static volatile int got;
static void on_usr1(int s) { got = s; }
int main(void) {
  signal(SIGUSR1, on_usr1); raise(SIGUSR1);
  pthread_t t; pthread_create(&t, 0, body, 0); usleep(50000); pthread_cancel(t);
  void* r; pthread_join(t, &r);
  printf("signal %d canceled %d\n", got, r == PTHREAD_CANCELED);
  return 0;
}
)";

const char* kPythonScript = R"py(import json, re, hashlib, zlib, threading, decimal, struct, datetime
d = {"k": [1, 2.5, "x"], "n": None}
print(json.dumps(d, sort_keys=True), json.loads(json.dumps(d)) == d)
print(re.sub(r"(\d+)", lambda m: str(int(m.group(1)) * 2), "a1 b22 c333"))
print(hashlib.sha256(b"shoal").hexdigest(), zlib.crc32(zlib.compress(b"x" * 1000)))
print(decimal.Decimal(1) / decimal.Decimal(7), struct.pack("<IH", 1, 2).hex())
print(datetime.date(2024, 2, 29) + datetime.timedelta(days=1))
out = []
ts = [threading.Thread(target=lambda i=i: out.append(sum(range(i * 10000)))) for i in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
print(sorted(out))
)py";

TEST(ObjectRewriter, GlibcDynamicC) {
  auto p = test::compile("or_hello", ".c", test::kHelloC, SHOAL_TEST_CC, "-O2");
  expect_same(p, "or_hello", "a b c");
}

const char* kSpawnC = R"(#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
extern char** environ;
int main(void) {
  int st;
  pid_t p = vfork();
  if (p == 0) { char* a[] = {"/bin/echo", "vforked", 0}; execve(a[0], a, environ); _exit(9); }
  waitpid(p, &st, 0);
  printf("vfork child %d\n", WEXITSTATUS(st));
  fflush(stdout);
  char* b[] = {"/bin/sh", "-c", "echo spawned; exit 6", 0};
  pid_t q;
  posix_spawn(&q, b[0], 0, 0, b, environ);
  waitpid(q, &st, 0);
  printf("spawn %d\n", WEXITSTATUS(st));
  fflush(stdout);
  if (fork() == 0) { printf("forked\n"); _exit(0); }
  wait(&st);
  return 0;
}
)";

TEST(ObjectRewriter, ForkVforkSpawn) {
  auto p = test::compile("or_spawn", ".c", kSpawnC, SHOAL_TEST_CC, "-O2");
  // Not as interpreter: that run's LD_LIBRARY_PATH would reach the children,
  // which would load the rewritten libc without the entry stand-in.
  expect_same(p, "or_spawn", "", false);
}

TEST(ObjectRewriter, SignalsAndThreadCancellation) {
  auto p = test::compile("or_cancel", ".c", kCancelC, SHOAL_TEST_CC, "-O2 -pthread");
  expect_same(p, "or_cancel", "");
}

TEST(ObjectRewriter, LibstdcxxThreadsExceptions) {
  auto p = test::compile("or_threads", ".cpp", kThreadsCpp, SHOAL_TEST_CXX, "-O2 -pthread");
  expect_same(p, "or_threads", "");
}

// libgomp makes its own futex system calls (38 sites): a second library
// besides libc whose stubs run, from several threads at once.
TEST(ObjectRewriter, OpenMpLibgomp) {
  auto p = test::compile("or_omp", ".c",
                         "#include <stdio.h>\nint main(void) { long sum = 0;\n"
                         "#pragma omp parallel for reduction(+:sum) num_threads(4)\n"
                         "for (long i = 0; i < 3000000; ++i) sum += i % 7;\n"
                         "printf(\"sum %ld\\n\", sum); return 0; }\n",
                         SHOAL_TEST_CC, "-O2 -fopenmp");
  expect_same(p, "or_omp", "");
  const auto& gomp = rewrite("/lib/x86_64-linux-gnu/libgomp.so.1", "libgomp.so.1");
  EXPECT_GT(gomp.sites, 0u);
  EXPECT_EQ(gomp.rewritten, gomp.sites);
}

TEST(ObjectRewriter, DebianLs) {
  std::string dir = test::scratch_dir() + "/ls-dir";
  test::run("mkdir -p " + dir + "/sub && echo abc > " + dir + "/a.txt && touch -d 2020-01-01 " + dir + "/* " +
            dir);
  expect_same("/bin/ls", "ls", "-la --time-style=long-iso " + dir + " /nonexistent");
}

TEST(ObjectRewriter, DebianBash) {
  expect_same("/bin/bash", "bash",
              "-c 'x=$((6*7)); echo $x; for i in a b c; do echo $i; done; f() { return 3; }; f; echo $?; "
              "read -r l < /etc/hostname && echo ${#l} >/dev/null; exit 4'");
}

TEST(ObjectRewriter, DebianPython3) {
  if (access("/usr/bin/python3", X_OK) != 0)
    GTEST_SKIP() << "python3 not installed (scripts/install-deps has it)";
  std::string script = test::write_text("or_script.py", kPythonScript);
  expect_same("/usr/bin/python3", "python3", script);
}

// Debian's libpython as a shared library, through a program that embeds it
// (Debian's python3 links the interpreter statically).
TEST(ObjectRewriter, EmbeddedLibpython) {
  auto flags = test::run("/usr/bin/python3-config --includes --embed --ldflags 2>/dev/null");
  if (flags.status != 0) GTEST_SKIP() << "python3-dev not installed (scripts/install-deps has it)";
  flags.out.erase(std::remove(flags.out.begin(), flags.out.end(), '\n'), flags.out.end());
  std::string src = test::write_text("or_embed.c",
                                     "#include <Python.h>\nint main(void) { Py_Initialize(); "
                                     "PyRun_SimpleString(\"import json; print(json.dumps([1, {'a': 2}]))\"); "
                                     "return Py_FinalizeEx() == 0 ? 7 : 1; }\n");
  std::string p = test::scratch_dir() + "/or_embed";
  auto cc = test::run(strf("{} -O2 {} -o {} {} 2>&1", SHOAL_TEST_CC, src, p, flags.out));
  ASSERT_EQ(cc.status, 0) << cc.out;
  ASSERT_NE(test::run("ldd " + p).out.find("/lib/x86_64-linux-gnu/libpython3"), std::string::npos);
  expect_same(p, "or_embed", "");
}

// A PIE with its own `syscall` instructions (as hand-written assembly or an
// inline-asm runtime has). Run by the kernel and the host's loader without
// reaching a site, the rewritten file must behave as before (both accept the
// moved program headers: AT_PHDR, PT_PHDR, dl_iterate_phdr, unwinding through
// the program); with the rewritten loader it also takes its own stubs.
const char* kOwnSyscallsC = R"(#define _GNU_SOURCE
#include <unistd.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
static long raw_write(int fd, const void* p, unsigned long n) {
  long r;
  asm volatile("syscall" : "=a"(r) : "a"(1), "D"(fd), "S"(p), "d"(n) : "rcx", "r11", "memory");
  return r;
}
static long raw_getppid(void) {
  long r;
  asm volatile("mov $110, %%eax\n syscall" : "=a"(r) : : "rcx", "r11", "memory");
  return r;
}
static int loads(struct dl_phdr_info* i, size_t n, void* d) {
  (void)n;
  if (*(int*)d == 0) {  /* the program itself comes first */
    int l = 0;
    for (int k = 0; k < i->dlpi_phnum; ++k) l += i->dlpi_phdr[k].p_type == PT_LOAD;
    printf("program has %s\n", l >= 4 ? "its PT_LOADs" : "too few PT_LOADs");
  }
  ++*(int*)d;
  return 0;
}
int main(int argc, char** argv) {
  int n = 0;
  dl_iterate_phdr(loads, &n);
  if (argc > 1) {
    const char m[] = "raw write\n";
    fflush(stdout);
    raw_write(1, m, strlen(m));
    printf("ppid matches %d\n", raw_getppid() == getppid());
  }
  return argc;
}
)";

void expect_own_syscalls(const std::string& flags, const std::string& name) {
  auto p = test::compile(name, ".c", kOwnSyscallsC, SHOAL_TEST_CC, flags);
  ASSERT_FALSE(p.empty());
  std::string rewritten = rewrite_closure(p, name);
  const auto& own = rewrite(p, name);
  EXPECT_EQ(own.sites, 2u);
  EXPECT_EQ(own.rewritten, 2u);
  // The kernel and the host's ld.so load the rewritten file; no site is reached.
  auto native = test::run(p + " 2>&1");
  auto direct = test::run(rewritten + " 2>&1");
  EXPECT_EQ(native.status, 1);
  EXPECT_EQ(direct.status, native.status);
  EXPECT_EQ(direct.out, native.out);
  expect_same(p, name, "x");
}

TEST(ObjectRewriter, PieWithOwnSyscalls) { expect_own_syscalls("-O2 -fPIE -pie", "or_own_pie"); }

// ET_EXEC at a fixed address: the new segment is placed in absolute terms.
TEST(ObjectRewriter, FixedAddressProgramWithOwnSyscalls) {
  expect_own_syscalls("-O2 -no-pie", "or_own_exec");
}

// The stubs really call the entry: with the entry stand-in elsewhere the
// rewritten objects must crash at their first system call.
TEST(ObjectRewriter, StubsCallTheEntry) {
  auto p = test::compile("or_hello2", ".c", test::kHelloC, SHOAL_TEST_CC, "-O2");
  std::string rewritten = rewrite_closure(p, "or_hello2");
  std::string ld = objdir() + "/ld.so --inhibit-cache --library-path " + objdir();
  auto ok = test::run(strf("{} --ld {:#x} {} {} 2>&1", SHOAL_TEST_NATIVE_RUN, kEntry, ld, rewritten));
  EXPECT_EQ(ok.status, 3);
  auto moved =
      test::run(strf("{} --ld {:#x} {} {} 2>&1", SHOAL_TEST_NATIVE_RUN, kEntry + 0x10000, ld, rewritten));
  EXPECT_EQ(moved.status, 128 + SIGSEGV) << moved.out;
}

TEST(ObjectRewriter, IdempotentAndDeterministic) {
  auto libc = builder::read_file("/lib/x86_64-linux-gnu/libc.so.6", 1ull << 30);
  ASSERT_TRUE(libc.ok());
  auto a = builder::rewrite_elf_object(*libc, {kEntry});
  auto b = builder::rewrite_elf_object(*libc, {kEntry});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->already_rewritten);
  EXPECT_GT(a->rewritten, 0u);
  EXPECT_EQ(a->file, b->file);
  auto again = builder::rewrite_elf_object(a->file, {kEntry});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_rewritten);
  EXPECT_EQ(again->file, a->file);
  EXPECT_EQ(again->sites, a->sites);
  EXPECT_EQ(again->rewritten, a->rewritten);
  // A LibOS whose entry moved: only the slot changes.
  auto moved = builder::rewrite_elf_object(a->file, {kEntry + 0x40});
  ASSERT_TRUE(moved.ok());
  EXPECT_TRUE(moved->already_rewritten);
  size_t diff = 0;
  for (size_t i = 0; i < a->file.size(); ++i) diff += a->file[i] != moved->file[i];
  EXPECT_EQ(diff, 1u);
  auto direct = builder::rewrite_elf_object(*libc, {kEntry + 0x40});
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(moved->file, direct->file);
}

// The layout promised in object_rewriter.hpp: the original bytes unchanged
// outside the header and the patched sites, a new last R+X PT_LOAD holding
// the program headers (PT_PHDR moved with them), a .shoal.stubs section,
// and tools that read the file without complaint.
TEST(ObjectRewriter, LayoutAndTools) {
  auto in = builder::read_file("/lib/x86_64-linux-gnu/libc.so.6", 1ull << 30);
  ASSERT_TRUE(in.ok());
  auto r = builder::rewrite_elf_object(*in, {kEntry});
  ASSERT_TRUE(r.ok());
  const auto& out = r->file;
  Elf64_Ehdr ei, eo;
  memcpy(&ei, in->data(), sizeof ei);
  memcpy(&eo, out.data(), sizeof eo);
  EXPECT_EQ(eo.e_phnum, ei.e_phnum + 1);
  std::vector<Elf64_Phdr> ph(eo.e_phnum);
  ASSERT_LE(eo.e_phoff + ph.size() * sizeof(Elf64_Phdr), out.size());
  memcpy(ph.data(), out.data() + eo.e_phoff, ph.size() * sizeof(Elf64_Phdr));
  const Elf64_Phdr* last = nullptr;
  for (const auto& p : ph) {
    if (p.p_type == PT_LOAD) last = &p;
    if (p.p_type == PT_PHDR) {
      EXPECT_EQ(p.p_offset, eo.e_phoff);
    }
  }
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->p_flags, uint32_t{PF_R | PF_X});
  EXPECT_EQ(last->p_vaddr, r->stubs_vaddr);
  EXPECT_GE(eo.e_phoff, last->p_offset);
  EXPECT_LE(eo.e_phoff + ph.size() * sizeof(Elf64_Phdr), last->p_offset + last->p_filesz);
  EXPECT_EQ(last->p_vaddr - last->p_offset, 0u);  // libc's first segment is at vaddr == offset
  uint64_t slot;
  memcpy(&slot, out.data() + last->p_offset, 8);
  EXPECT_EQ(slot, kEntry);
  // Byte-identical outside the header and the patched sites (each a 5-byte
  // jmp plus int3 filler, at most a few instructions).
  size_t diff = 0;
  for (size_t i = sizeof(Elf64_Ehdr); i < in->size(); ++i) diff += (*in)[i] != out[i];
  EXPECT_GT(diff, 0u);
  EXPECT_LE(diff, r->rewritten * 40u);
  std::string path = objdir() + "/layout-libc.so.6";
  write_file(path, out);
  auto readelf = test::run("readelf -W -a " + path + " 2>&1 >/dev/null");
  EXPECT_EQ(readelf.status, 0);
  EXPECT_EQ(readelf.out, "") << "readelf warnings";
  auto objdump = test::run("objdump -d -j .shoal.stubs " + path + " | grep -c 'call.*\\*'");
  EXPECT_EQ(objdump.out, strf("{}\n", r->rewritten));
}

TEST(ObjectRewriter, NoSitesNoChange) {
  auto in = builder::read_file("/lib/x86_64-linux-gnu/libm.so.6", 1ull << 30);
  ASSERT_TRUE(in.ok());
  auto r = builder::rewrite_elf_object(*in, {kEntry});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rewritten, 0u);
  EXPECT_EQ(r->file, *in);
}

// What the rewriter cannot prove safe it only counts: an object without
// section headers (no symbols, relocation or unwind tables to read targets
// from) and one with text relocations (ld.so would write into code).
TEST(ObjectRewriter, ConservativeCases) {
  auto libc = builder::read_file("/lib/x86_64-linux-gnu/libc.so.6", 1ull << 30);
  ASSERT_TRUE(libc.ok());
  auto b = *libc;
  auto* eh = reinterpret_cast<Elf64_Ehdr*>(b.data());
  eh->e_shoff = 0;
  eh->e_shnum = 0;
  eh->e_shstrndx = 0;
  auto r = builder::rewrite_elf_object(b, {kEntry});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GT(r->sites, 100u);
  EXPECT_EQ(r->rewritten, 0u);
  EXPECT_EQ(r->fallback.size(), r->sites);
  EXPECT_EQ(r->file, b);

  std::string src = test::write_text("or_textrel.s",
                                     ".text\n.globl f\n.type f,@function\nf:\n mov $39, %eax\n syscall\n"
                                     " movabs $g, %rdx\n ret\n.data\n.globl g\ng: .quad 0\n");
  std::string so = test::scratch_dir() + "/or_textrel.so";
  auto cc = test::run(strf("{} -shared -nostdlib -Wl,-z,notext {} -o {} 2>&1", SHOAL_TEST_CC, src, so));
  ASSERT_EQ(cc.status, 0) << cc.out;
  auto in = builder::read_file(so, 1 << 20);
  ASSERT_TRUE(in.ok());
  auto t = builder::rewrite_elf_object(*in, {kEntry});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->sites, 1u);
  EXPECT_EQ(t->rewritten, 0u);
}

// Hostile files: each damage gives an error naming it, or (for damage the
// loader would not notice either) a result; never a crash.
TEST(ObjectRewriter, MalformedInput) {
  auto good = builder::read_file("/lib64/ld-linux-x86-64.so.2", 1ull << 30);
  ASSERT_TRUE(good.ok());
  Elf64_Ehdr eh;
  memcpy(&eh, good->data(), sizeof eh);
  auto expect_error = [&](std::vector<uint8_t> b, const std::string& words) {
    auto r = builder::rewrite_elf_object(b, {kEntry});
    ASSERT_FALSE(r.ok()) << words;
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
  };
  auto phdr_at = [&](std::vector<uint8_t>& b, size_t i) {
    return reinterpret_cast<Elf64_Phdr*>(b.data() + eh.e_phoff + i * sizeof(Elf64_Phdr));
  };
  size_t first_load = 0;
  for (size_t i = 0; i < eh.e_phnum; ++i)
    if (phdr_at(*good, i)->p_type == PT_LOAD) {
      first_load = i;
      break;
    }

  expect_error({}, "not an ELF");
  expect_error(std::vector<uint8_t>(good->begin(), good->begin() + 40), "truncated");
  expect_error(std::vector<uint8_t>(good->begin(), good->begin() + 200), "truncated");
  {
    auto b = *good;
    b.resize(b.size() / 2);  // section headers and later segments are gone
    expect_error(b, "truncated");
  }
  {
    auto b = *good;
    reinterpret_cast<Elf64_Ehdr*>(b.data())->e_phoff = ~uint64_t{0} - 8;
    expect_error(b, "program header table");
  }
  {
    auto b = *good;
    phdr_at(b, first_load)->p_offset = uint64_t{1} << 62;
    expect_error(b, "truncated");
  }
  {
    auto b = *good;
    phdr_at(b, first_load)->p_memsz = uint64_t{1} << 40;  // runs over the next segment
    expect_error(b, "segment");
  }
  {
    auto b = *good;
    auto* p = phdr_at(b, first_load + 1);
    p->p_vaddr = phdr_at(b, first_load)->p_vaddr;  // overlaps the first
    expect_error(b, "overlapping");
  }
  {
    auto b = *good;
    reinterpret_cast<Elf64_Ehdr*>(b.data())->e_shoff = b.size() - 10;
    expect_error(b, "section header table");
  }
  {
    auto b = *good;
    reinterpret_cast<Elf64_Ehdr*>(b.data())->e_shstrndx = 0xfff0;
    expect_error(b, "e_shstrndx");
  }
  {
    auto b = *good;
    reinterpret_cast<Elf64_Ehdr*>(b.data())->e_machine = EM_AARCH64;
    expect_error(b, "not x86-64");
  }
  {
    auto b = *good;
    reinterpret_cast<Elf64_Ehdr*>(b.data())->e_type = ET_REL;
    expect_error(b, "e_type");
  }
  // Damaged .eh_frame, or section headers that point elsewhere than
  // PT_GNU_EH_FRAME does: the landing pads are unknown, so nothing is patched.
  for (int damage = 0; damage < 2; ++damage) {
    auto b = *good;
    Elf64_Ehdr e;
    memcpy(&e, b.data(), sizeof e);
    auto* sh = reinterpret_cast<Elf64_Shdr*>(b.data() + e.e_shoff);
    const char* names = reinterpret_cast<const char*>(b.data() + sh[e.e_shstrndx].sh_offset);
    bool found = false;
    for (size_t i = 0; i < e.e_shnum; ++i)
      if (strcmp(names + sh[i].sh_name, ".eh_frame") == 0) {
        if (damage == 0) memset(b.data() + sh[i].sh_offset, 0xff, 8);  // a 64-bit length far past the end
        if (damage == 1) sh[i].sh_name = sh[i + 1].sh_name;            // .eh_frame now has another name
        found = true;
      }
    ASSERT_TRUE(found);
    auto r = builder::rewrite_elf_object(b, {kEntry});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_GT(r->sites, 0u);
    EXPECT_EQ(r->rewritten, 0u);
    EXPECT_EQ(r->file, b);
  }
  // Random byte damage anywhere: any answer but a crash.
  uint64_t seed = 12345;
  for (int round = 0; round < 200; ++round) {
    auto b = *good;
    for (int k = 0; k < 8; ++k) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      size_t at = (seed >> 16) % (round % 2 ? 4096 : b.size());
      b[at] = static_cast<uint8_t>(seed >> 56);
    }
    (void)builder::rewrite_elf_object(b, {kEntry});
  }
}

}  // namespace
