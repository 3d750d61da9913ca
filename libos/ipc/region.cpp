#include "ipc/region.hpp"

#include "ipc/shm_files.hpp"
#include "ipc/syscalls.hpp"

#include "core/errno.hpp"
#include "core/family.hpp"
#include "core/klib.hpp"
#include "sched/exit_hook.hpp"
#include "sched/futex.hpp"
#include "sched/syscalls.hpp"
#include "sched/thread.hpp"
#include "time/clock.hpp"
#include "uapi/time.hpp"

namespace libos::ipc {

namespace {

constexpr uint64_t kMagic = 0x796c696d61666873ull;  // "shfamily"
constexpr uint64_t kHeaderPages = (sizeof(Header) + kPage - 1) / kPage;

bool bit(const uint8_t* map, uint64_t i) { return (map[i / 8] >> (i % 8)) & 1; }
void set_bit(uint8_t* map, uint64_t i, bool on) {
  if (on) {
    map[i / 8] = static_cast<uint8_t>(map[i / 8] | (1u << (i % 8)));
  } else {
    map[i / 8] = static_cast<uint8_t>(map[i / 8] & ~(1u << (i % 8)));
  }
}

void pause() { asm volatile("pause" ::: "memory"); }

// The first process of the family to get here sets the header up; the
// others (in this VM or another) wait until it is ready.
Header* set_up(uint8_t* region) {
  auto* h = reinterpret_cast<Header*>(region);
  uint32_t fresh = 0;
  if (__atomic_compare_exchange_n(&h->init_state, &fresh, 1u, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    h->pages = family::size() / kPage;
    for (uint64_t i = 0; i < kHeaderPages; ++i) {
      set_bit(h->taken, i, true);
      set_bit(h->written, i, true);
    }
    h->used_pages = kHeaderPages;
    h->magic = kMagic;
    __atomic_store_n(&h->init_state, 2u, __ATOMIC_RELEASE);
  }
  while (__atomic_load_n(&h->init_state, __ATOMIC_ACQUIRE) != 2) pause();
  return h;
}

constinit Header* g_header = nullptr;

}  // namespace

Header* header() {
  if (g_header != nullptr) return g_header;
  // A region too small for the header (the monitor rounds --shm-size to
  // 2 MiB, so only a hostile one) is no region.
  if (family::size() < (kHeaderPages + 1) * kPage) return nullptr;
  uint8_t* region = family::attach();
  if (region == nullptr) return nullptr;
  g_header = set_up(region);
  return g_header;
}

uint8_t* base() { return reinterpret_cast<uint8_t*>(g_header); }

void lock(Header* h) {
  for (;;) {
    if (__atomic_exchange_n(&h->lock, 1u, __ATOMIC_ACQUIRE) == 0) return;
    while (__atomic_load_n(&h->lock, __ATOMIC_RELAXED) != 0) pause();
  }
}

void unlock(Header* h) { __atomic_store_n(&h->lock, 0u, __ATOMIC_RELEASE); }

uint64_t alloc(Header* h, uint64_t bytes) {
  uint64_t n = (bytes + kPage - 1) / kPage;
  if (n == 0 || n > h->pages) return 0;
  // First fit over the bitmap: objects are few and the scan is short.
  uint64_t run = 0;
  for (uint64_t i = kHeaderPages; i < h->pages; ++i) {
    run = bit(h->taken, i) ? 0 : run + 1;
    if (run < n) continue;
    uint64_t first = i + 1 - n;
    for (uint64_t p = first; p <= i; ++p) {
      set_bit(h->taken, p, true);
      // Pages never handed out are still the memfd's zeros: only reused ones
      // are cleared, so a large segment costs no host memory until touched.
      if (bit(h->written, p)) memset(base() + p * kPage, 0, kPage);
      set_bit(h->written, p, true);
    }
    h->used_pages += n;
    return first * kPage;
  }
  return 0;
}

void free(Header* h, uint64_t offset, uint64_t bytes) {
  uint64_t n = (bytes + kPage - 1) / kPage;
  uint64_t first = offset / kPage;
  for (uint64_t p = first; p < first + n && p < h->pages; ++p) set_bit(h->taken, p, false);
  h->used_pages -= n;
}

int64_t now_s() { return static_cast<int64_t>(realtime_ns() / uapi::kNsPerSec); }
int pid() { return static_cast<int>(sys_getpid()); }

void notify(uint32_t* word) {
  __atomic_add_fetch(word, 1u, __ATOMIC_SEQ_CST);
  futex_wake(word, 0x7fffffff, ~0u);
}

long wait_change(uint32_t* word, uint32_t seen, uint64_t deadline) {
  uint64_t poll = monotonic_ns() + kPollNs;
  long r = futex_wait_on(word, seen, deadline < poll ? deadline : poll);
  if (r == -ETIMEDOUT && (deadline == sched::kNoDeadline || monotonic_ns() < deadline)) return 0;
  if (r == -EAGAIN) return 0;
  return r;
}

namespace {
void on_exit() {
  if (g_header == nullptr) return;
  sem_exit();
  shm_exit();
  shm_files_exit();
}
}  // namespace

void fork_child() {
  if (g_header == nullptr) return;
  shm_fork_child();
  sem_fork_child();
  shm_files_fork_child();
}

void init() {
  sched::set_exit_hook(on_exit);
  sched::set_fork_child_hook(fork_child);
}

}  // namespace libos::ipc
