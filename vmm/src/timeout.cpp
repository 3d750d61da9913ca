#include "timeout.hpp"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include <atomic>
#include <cmath>
#include <string>

namespace shoal::vmm {
namespace {

volatile sig_atomic_t g_expired = 0;
// Atomic (lock-free, so async-signal-safe) and loaded once in the handler:
// disarm_timeout() clears it before the vCPU and its run page go away.
std::atomic<Vcpu*> g_vcpu{nullptr};
static_assert(std::atomic<Vcpu*>::is_always_lock_free);

void on_alarm(int) {
  g_expired = 1;
  if (Vcpu* vcpu = g_vcpu.load()) vcpu->request_immediate_exit();
}

timeval to_timeval(double seconds) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(std::floor(seconds));
  tv.tv_usec = static_cast<suseconds_t>((seconds - std::floor(seconds)) * 1e6);
  if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1;
  return tv;
}

}  // namespace

Result<void> arm_timeout(double seconds, Vcpu* vcpu) {
  g_vcpu.store(vcpu);
  struct sigaction sa{};
  sa.sa_handler = on_alarm;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: KVM_RUN and sleeps must return EINTR
  if (sigaction(SIGALRM, &sa, nullptr) < 0) return make_error(std::string("sigaction: ") + strerror(errno));
  itimerval it{};
  it.it_value = to_timeval(seconds);
  it.it_interval = to_timeval(0.05);
  if (setitimer(ITIMER_REAL, &it, nullptr) < 0) return make_error(std::string("setitimer: ") + strerror(errno));
  return {};
}

bool timeout_expired() { return g_expired != 0; }

void disarm_timeout() { g_vcpu.store(nullptr); }

}  // namespace shoal::vmm
