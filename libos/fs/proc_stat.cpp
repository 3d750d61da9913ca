#include "fs/proc_stat.hpp"

#include "core/klib.hpp"
#include "fs/clock.hpp"
#include "sched/thread.hpp"
#include "time/clock.hpp"
#include "uapi/stat.hpp"
#include "vfs/alloc.hpp"

namespace libos::fs {
namespace {

// USER_HZ (AT_CLKTCK): /proc counts time in ticks of 10 ms.
constexpr uint64_t kNsPerTick = 10'000'000;
constexpr size_t kTextMax = 768;

char g_comm[16] = "?";

// A bounded writer: text past cap is cut, never overrun.
struct Text {
  char* out;
  size_t cap;
  size_t len = 0;
  void put(const char* s) {
    while (*s != '\0' && len < cap) out[len++] = *s++;
  }
  void put_u64(uint64_t v) {
    char digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0 && len < cap) out[len++] = digits[--n];
  }
  // Seconds with two decimals, as /proc/uptime.
  void put_secs(uint64_t ns) {
    put_u64(ns / 1'000'000'000);
    put(".");
    uint64_t cs = ns / 10'000'000 % 100;
    put_u64(cs / 10);
    put_u64(cs % 10);
  }
};

}  // namespace

ProcText* ProcText::create(Fill fill, uint64_t ino) {
  ProcText* file = make<ProcText>();
  if (file == nullptr) return nullptr;
  file->m_fill = fill;
  file->m_ino = ino;
  file->m_mode = uapi::S_IFREG | 0444;
  file->m_atime_ns = file->m_mtime_ns = file->m_ctime_ns = now_ns();
  return file;
}

long ProcText::read_at(void* buf, size_t len, uint64_t off) {
  // Made anew at each read, as Linux's seq files: a reader that reads in
  // pieces may see two versions, as on Linux when the numbers move.
  char text[kTextMax];
  size_t n = m_fill(text, sizeof text);
  if (off >= n) return 0;
  if (len > n - off) len = n - off;
  memcpy(buf, text + off, len);
  return static_cast<long>(len);
}

size_t proc_uptime_text(char* out, size_t cap) {
  Text t{out, cap};
  uint64_t up = monotonic_ns();
  t.put_secs(up);
  // Idle time is not accounted (one vCPU that sleeps in the monitor).
  t.put(" 0.00\n");
  return t.len;
}

size_t proc_stat_text(char* out, size_t cap) {
  Text t{out, cap};
  // CPU time is approximated by elapsed time (as CLOCK_PROCESS_CPUTIME_ID).
  uint64_t ticks = monotonic_ns() / kNsPerTick;
  static const char* const kCpus[] = {"cpu  ", "cpu0 "};
  for (const char* cpu : kCpus) {
    t.put(cpu);
    t.put_u64(ticks);
    t.put(" 0 0 0 0 0 0 0 0 0\n");
  }
  t.put("intr 0\nctxt 0\nbtime ");
  t.put_u64(boot_realtime_ns() / 1'000'000'000);
  t.put("\nprocesses 1\nprocs_running 1\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n");
  return t.len;
}

void proc_self_stat_init(const char* exe_path) {
  const char* base = exe_path;
  for (const char* p = exe_path; *p != '\0'; ++p) {
    if (*p == '/') base = p + 1;
  }
  size_t n = 0;
  while (base[n] != '\0' && n < sizeof g_comm - 1) {
    g_comm[n] = base[n];
    ++n;
  }
  g_comm[n] = '\0';
}

size_t proc_comm_text(char* out, size_t cap) {
  Text t{out, cap};
  t.put(g_comm);
  t.put("\n");
  return t.len;
}

size_t proc_self_stat_text(char* out, size_t cap) {
  Text t{out, cap};
  uint64_t ticks = monotonic_ns() / kNsPerTick;
  // Fields 1-13: pid (comm) state ppid pgrp session tty_nr tpgid flags
  // minflt cminflt majflt cmajflt; pid 1 in every instance, as getpid().
  t.put("1 (");
  t.put(g_comm);
  t.put(") R 0 1 1 0 -1 4194304 0 0 0 0 ");
  // 14-22: utime stime cutime cstime priority nice num_threads itrealvalue starttime.
  t.put_u64(ticks);
  t.put(" 0 0 0 20 0 ");
  t.put_u64(static_cast<uint64_t>(sched::thread_count()));
  t.put(" 0 ");
  t.put_u64(process_start_ns() / kNsPerTick);
  // 23-52: vsize rss rsslim, then code/stack addresses, signals, wchan and
  // the rest, which no program of ours reads: zero (exit_signal 17, as Linux).
  t.put(" 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  return t.len;
}

}  // namespace libos::fs
