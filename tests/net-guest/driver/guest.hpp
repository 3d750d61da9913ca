// The host side of the guest-socket tests: runs one image under shoal-vmm
// with a channel (pool/channel) and plays the pool — opens connections to the
// guest's ports, answers the guest's connects, moves bytes.
//
// Test code: a failed expectation prints a message and ends the driver with
// status 1 (fail()), so every scenario reads as straight-line steps.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "pool/channel/channel.hpp"

namespace shoal::nettest {

[[noreturn]] void fail(const std::string& message);
void expect(bool ok, const std::string& message);
uint64_t now_ns();

struct GuestOptions {
  std::string vmm;                // shoal-vmm
  std::string image;              // .shoal
  std::vector<std::string> args;  // the program's arguments
  pool::ChannelConfig channel;
  int timeout_s = 120;  // shoal-vmm --timeout
  int cpu = -1;         // shoal-vmm --cpu (pin the vCPU), -1: not pinned
};

// Builds PROGRAM into an image in dir with `shoal build` (and flags such as
// --root DIR); returns its path.
std::string build_image(const std::string& shoal, const std::string& program, const std::string& dir,
                        const std::vector<std::string>& flags = {});

class Guest {
 public:
  explicit Guest(const GuestOptions& options);
  ~Guest();
  Guest(const Guest&) = delete;
  Guest& operator=(const Guest&) = delete;

  pool::Channel& channel() { return m_channel; }
  // The region itself, mapped a second time, for tests that play a hostile
  // host (they write what the library never would).
  uint8_t* region() { return m_region; }
  const std::string& out() const { return m_out; }
  const std::string& err() const { return m_err; }

  // One round of the host's loop: collects the guest's output, sends a due
  // kick, and sleeps up to timeout_ms on the guest's kick if nothing is
  // pending (0: do not sleep).
  void pump(int timeout_ms = 1);
  // Pumps until cond() holds; false after timeout_ms.
  template <typename Cond>
  bool wait_for(Cond cond, int timeout_ms) {
    uint64_t end = now_ns() + uint64_t(timeout_ms) * 1000000;
    while (!cond()) {
      if (now_ns() > end || exited()) return cond();
      pump(1);
    }
    return true;
  }
  // The guest's stdout contains text (pumping until it does).
  bool wait_output(const std::string& text, int timeout_ms);
  bool exited();
  // Waits for the monitor to end; its exit status, or -1 after timeout_ms.
  int wait_exit(int timeout_ms);

  // ---- Connections the host opens to the guest ----
  // Opens a connection to port and waits until the guest accepts it.
  uint32_t connect(uint16_t port, uint32_t peer_ipv4 = 0x0100007f, uint16_t peer_port = 40000);
  // Sends all of data, then (if shut) shuts the host's side, and reads until
  // the guest's EOF, all interleaved so neither ring blocks the other.
  std::string exchange(uint32_t slot, const std::string& data, bool shut = true, int timeout_ms = 30000);
  // Reads until exactly n bytes arrived (or EOF / timeout).
  std::string read_n(uint32_t slot, size_t n, int timeout_ms = 10000);
  void write_all(uint32_t slot, const std::string& data, int timeout_ms = 10000);

 private:
  void drain_output();

  pool::Channel m_channel;
  uint8_t* m_region = nullptr;
  pid_t m_pid = -1;
  int m_status = -1;
  int m_out_fd = -1, m_err_fd = -1;
  int m_epoll = -1;
  std::string m_out, m_err;
};

pool::Channel make_channel(const pool::ChannelConfig& config);

}  // namespace shoal::nettest
