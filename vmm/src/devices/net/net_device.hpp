// The network device of one instance (`--net tap:NAME`): the region of
// abi/netdev.h, the TAP device, the kick and wake eventfds, and the I/O
// thread that moves frames between them (NetIo does the ring work).
//
// Life cycle, in main.cpp's order:
//   open()    TAP + region + eventfds, before any KVM work (clear errors first)
//   attach()  the region as KVM memory slot kNetMemorySlot at kNetAddr, and
//             the kick port's ioeventfd
//   start()   the I/O thread, with every signal blocked (SIGALRM of
//             --timeout must reach the vCPU thread), before seccomp: the
//             filter is installed with TSYNC and so covers it too
//   stop()    when the guest is gone: the thread sees the stop eventfd,
//             transmits what the guest published last, and returns; joined.
//
// Guest -> monitor: the guest's `outl` to kNetKickPort signals the kick
// eventfd inside KVM (no exit to user space); the thread wakes on it.
// Monitor -> guest: the thread writes the wake eventfd, which the `block`
// hypercall polls (the channel's TO_GUEST_FD when there is a channel).
#pragma once

#include <pthread.h>
#include <stdint.h>

#include <atomic>
#include <memory>
#include <string>

#include <shoal/base/result.hpp>

#include "kvm.hpp"
#include "net_io.hpp"
#include "net_options.hpp"
#include "net_tap.hpp"

namespace shoal::vmm {

// KVM memory slot of the device's region (0: guest memory, 1: the channel).
inline constexpr uint32_t kNetMemorySlot = 2;

// The descriptors the seccomp policy pins the I/O thread's calls to.
struct NetSeccompFds {
  int tap = -1;
  int kick = -1;
  int wake = -1;
  int stop = -1;
};

class NetDevice {
 public:
  // wake_fd: the eventfd `block` polls (the channel's), or -1 to create one.
  static Result<std::unique_ptr<NetDevice>> open(const NetConfig& config, int wake_fd);
  ~NetDevice();
  NetDevice(const NetDevice&) = delete;
  NetDevice& operator=(const NetDevice&) = delete;

  Result<void> attach(Vm& vm);
  // Before start(): lets the guest send gather frames (abi/netdev.h) whose
  // payload the I/O thread reads from mem. mem must outlive stop().
  void use_guest_memory(const GuestMemory& mem);
  Result<void> start();
  void stop();

  uint64_t size() const;
  void* host_base() const { return m_base; }
  int wake_fd() const { return m_wake_fd; }
  NetSeccompFds seccomp_fds() const { return {m_tap_fd, m_kick_fd, m_wake_fd, m_stop_fd}; }
  const NetConfig& config() const { return m_config; }
  // Valid after stop(): what the device moved and dropped.
  const NetCounters& counters() const { return m_io->counters(); }
  std::string describe_counters() const;

 private:
  NetDevice() = default;
  void run();

  NetConfig m_config;
  void* m_base = nullptr;
  int m_tap_fd = -1, m_kick_fd = -1, m_wake_fd = -1, m_stop_fd = -1;
  bool m_own_wake = false;
  bool m_gather = false;
  std::unique_ptr<TapLink> m_link;
  std::unique_ptr<NetIo> m_io;
  pthread_t m_thread{};
  bool m_running = false;
  std::atomic<bool> m_stop{false};
  std::atomic<bool> m_started{false};
};

}  // namespace shoal::vmm
