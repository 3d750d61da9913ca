// The host side of one instance's channel (include/shoal/abi/channel.h): the
// shared-memory region shoald creates for an instance, and the stream
// connections the gateway runs through it.
//
// One Channel per instance. It owns the region (a sealed memfd, mapped here)
// and the two eventfds; the supervisor passes all three to shoal-vmm
// (`--channel MEMFD,TO_HOST_FD,TO_GUEST_FD`, see vmm_argument()). The class is
// single-threaded: the gateway's event loop drives it, watching to_host_fd()
// with epoll.
//
// Trust: every byte of the region may be written by the guest at any time.
// The library keeps its own shadow of each slot it uses and reads every
// shared word once per decision; a guest that breaks the protocol (bad ring
// indices, impossible states) only ever resets its own connections. Nothing
// it writes can make the library read or write outside the region.
//
// A typical loop:
//   epoll_wait(... to_host_fd() ...)           // after prepare_sleep()
//   ch.finish_sleep();
//   if (ch.changed()) {
//     while (auto o = ch.next_guest_open()) ... accept / refuse
//     ch.collect(ready);                         // slots with news
//     for (slot : ready) ... status / read / write
//   }
//   ch.flush();                                  // one kick at most
//   if (!ch.prepare_sleep()) epoll_wait(...)
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <shoal/abi/channel.h>
#include <shoal/abi/channel_ops.h>
#include <shoal/base/result.hpp>

namespace shoal::pool {

// A service the guest can `connect` to by name (abi::ChannelService).
struct ChannelServiceEntry {
  std::string name;   // [a-z0-9-], 1..kServiceNameMax-1 characters
  uint32_t ipv4 = 0;  // network byte order
};

struct ChannelConfig {
  uint32_t slot_count = abi::kDefaultChannelSlots;  // even, 2..kMaxChannelSlots
  uint32_t ring_size = abi::kDefaultRingSize;       // power of two, kMinRingSize..kMaxRingSize
  std::vector<ChannelServiceEntry> services;        // at most kMaxServices
};

// The three descriptors shoal-vmm needs, as numbers in this process.
struct ChannelFdNumbers {
  int memfd = -1;
  int to_host = -1;
  int to_guest = -1;
};

// Where a connection stands, as the host sees it.
enum class ConnState : uint8_t {
  unused,      // not a live connection of the host (never opened, or closed)
  connecting,  // host opened it; the guest has not answered yet
  open,        // accepted: data flows both ways
  refused,     // the guest has no listener on that port; close() frees it
  pending,     // guest-opened, reported by next_guest_open(), not yet accepted
};

struct ConnStatus {
  ConnState state = ConnState::unused;
  bool peer_shut_write = false;  // the guest sent its last byte: EOF after `readable` more
  bool peer_closed = false;      // the guest released its end: writes fail with EPIPE
  bool peer_reset = false;       // the guest aborted, or broke the protocol: ECONNRESET
  uint32_t readable = 0;         // bytes read() can return now
  uint32_t writable = 0;         // bytes write() can accept now
};

struct ReadResult {
  size_t bytes = 0;
  bool eof = false;  // bytes == 0 and the guest will send nothing more
};

// A connection the guest opened (`connect` to a service through the pool).
struct GuestOpen {
  uint32_t slot = 0;
  uint32_t service = abi::kServiceNone;  // index into the services given at create(), or kServiceNone
  uint16_t port = 0;                     // destination port the guest asked for
  uint32_t dest_ipv4 = 0;                // destination address the guest used (network order)
};

class Channel {
 public:
  // Makes the region (memfd, sized, header written, sealed against resizing),
  // both eventfds (EFD_NONBLOCK | EFD_CLOEXEC) and maps the region. Every
  // descriptor is close-on-exec: see clear_cloexec() / vmm_argument() for
  // handing them to shoal-vmm.
  static Result<Channel> create(const ChannelConfig& config);

  Channel(Channel&& other) noexcept;
  Channel& operator=(Channel&& other) noexcept;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel();

  // ---- Handing the channel to shoal-vmm ----------------------------------
  ChannelFdNumbers fds() const { return {m_memfd, m_to_host_fd, m_to_guest_fd}; }
  // "MEMFD,TO_HOST_FD,TO_GUEST_FD", the value of shoal-vmm's --channel.
  std::string vmm_argument() const;
  // For a forked child before exec: clears FD_CLOEXEC on the three
  // descriptors so shoal-vmm inherits them under the same numbers.
  // Async-signal-safe (only fcntl). Returns false if a fcntl failed. With
  // posix_spawn instead, add posix_spawn_file_actions_adddup2(fa, fd, fd)
  // for each of fds() (glibc clears FD_CLOEXEC when both numbers are equal).
  bool clear_cloexec() const;
  // Once shoal-vmm runs (it has its own copy), the memfd is no longer needed
  // here: the mapping stays. Saves one descriptor per instance. The region
  // cannot be handed to another monitor afterwards: one Channel per instance.
  void drop_memfd();

  // The descriptor to watch (EPOLLIN): the guest's kicks (KVM ioeventfd).
  int to_host_fd() const { return m_to_host_fd; }
  // Once the owner watches the kicks without the descriptor (an
  // edge-triggered epoll entry on the file the monitor still holds,
  // EventLoop::add_detached), it is closed here: one descriptor less per
  // instance. finish_sleep() no longer drains it (nothing needs draining
  // with an edge-triggered watch); to_host_fd() is -1 from then on.
  void drop_to_host_fd();

  // The region's geometry.
  uint32_t slot_count() const { return m_view.slot_count; }
  uint32_t ring_size() const { return m_view.ring_size; }
  uint64_t region_size() const { return m_view.size; }

  // ---- Host-opened connections (gateway -> guest listener) ----------------
  // Opens a connection to the guest's `port`, on behalf of a client at
  // peer_ipv4:peer_port (network order; shown to the guest by getpeername).
  // Bytes may be written at once, before the guest accepts. Error (code
  // EAGAIN) when every host slot is in use.
  Result<uint32_t> open(uint16_t port, uint32_t peer_ipv4, uint16_t peer_port);
  // Withdraws a connection the guest has not accepted yet. True if it was
  // withdrawn (the slot is free again); false if the guest answered first
  // (then status() says open or refused, and close() it as usual).
  bool cancel_if_unaccepted(uint32_t slot);

  // ---- Guest-opened connections (guest -> another service) ----------------
  // The next connection the guest asked for that has not been reported yet,
  // or nullopt. Scans the guest half of the slots (at most kMaxChannelSlots/2
  // loads); call it when changed() says so.
  std::optional<GuestOpen> next_guest_open();
  // Answers a reported connection. accept: the gateway connected it to a
  // backend; refuse: the guest's connect fails with ECONNREFUSED. Errors if
  // the slot was not reported or the guest gave up meanwhile (code ECONNABORTED).
  Result<void> accept(uint32_t slot);
  Result<void> refuse(uint32_t slot);

  // ---- Either kind, once open ----------------------------------------------
  ConnStatus status(uint32_t slot) const;
  // Copies up to data.size() bytes into the guest's ring; returns how many
  // (0: the ring is full, back-pressure; wait for collect() to report the
  // slot). Errors: EPIPE (guest closed), ECONNRESET, ENOTCONN (not open or
  // connecting), EBADF (no such slot), EPIPE also after shutdown_write.
  Result<size_t> write(uint32_t slot, std::span<const uint8_t> data);
  // Copies up to buf.size() bytes the guest sent. bytes == 0 and eof == false:
  // nothing yet. Errors: ECONNRESET, ECONNREFUSED, ENOTCONN, EBADF.
  Result<ReadResult> read(uint32_t slot, std::span<uint8_t> buf);
  // No more bytes from the host (the guest reads EOF after the rest).
  Result<void> shutdown_write(uint32_t slot);
  // Ends the host's use of the slot: a graceful end (shut write) if still
  // open, then releases it; the slot becomes free once the guest has
  // released its end too. The slot number must not be used afterwards.
  void close(uint32_t slot);
  // As close(), but aborts: the guest sees ECONNRESET.
  void reset(uint32_t slot);

  // ---- Readiness --------------------------------------------------------------
  bool listening(uint16_t port) const;
  // The guest's listen table, sanitized (valid, distinct ports).
  std::vector<uint16_t> listen_ports() const;

  // ---- Events and notification ----------------------------------------------
  // True if the guest bumped guest_events since the last call: one load.
  bool changed();
  // Appends to `out` the slots with something new for the host since the last
  // collect(): readable bytes or EOF, room freed in the host's ring, a state
  // change (accepted, refused, reset, closed), and ends the wait of closed
  // slots whose release completed. O(slots the host uses).
  void collect(std::vector<uint32_t>& out);
  // After a batch of operations: one kick of the guest iff it announced
  // sleep (a write to TO_GUEST_FD, which ends the guest's `block`).
  void flush();
  // Before epoll_wait: announces the host's sleep, fences, and re-checks.
  // Returns true if work is pending (then don't sleep; call finish_sleep()).
  bool prepare_sleep();
  // After waking (or deciding not to sleep): withdraws the announcement and
  // drains to_host_fd.
  void finish_sleep();
  // Withdraws the announcement without a system call: from now on the guest
  // does not kick, so the caller must poll changed(). A kick the guest sent
  // before is still pending on to_host_fd (finish_sleep() drains it).
  void withdraw_sleep();
  // Called by flush() after it kicked the guest, i.e. woke a guest that was
  // asleep: an answer is likely soon, so the owner may rather poll this
  // channel than be kicked for it. The hook must not call back into the
  // channel (flush() may run inside prepare_sleep()); record and act later.
  void set_guest_kick_hook(std::function<void()> hook) { m_guest_kick_hook = std::move(hook); }

  // Counters for tests and metrics.
  uint64_t kicks_sent() const { return m_kicks_sent; }
  // Slots the host has not retired: live connections, plus closed ones whose
  // release the guest has not completed yet (collect() retires those).
  uint32_t slots_in_use() const { return static_cast<uint32_t>(m_active.size()); }

 private:
  // The host's private view of one slot; the shared state is only a hint.
  enum class Shadow : uint8_t {
    idle,        // not in use by the host
    connecting,  // host-opened, published
    open,        // accepted (either direction)
    refused,     // host-opened, refused by the guest
    pending,     // guest-opened, reported, unanswered
    closing,     // host released; waiting for the guest's release
  };
  struct SlotShadow {
    Shadow shadow = Shadow::idle;
    bool host_shut = false;
    bool broken = false;        // protocol violation seen: reported as a reset
    bool active = false;        // in m_active
    uint32_t active_index = 0;  // position in m_active
    // What collect() last saw, to report only changes.
    uint32_t seen_state = 0, seen_flags = 0, seen_released = 0, seen_rx_head = 0, seen_tx_tail = 0;
  };

  Channel() = default;
  void reset_members();
  void release_resources();
  abi::ChannelEnd end(uint32_t slot) const { return abi::channel_end(&m_view, slot, abi::kSideHost); }
  bool is_host_slot(uint32_t slot) const { return slot < m_view.slot_count / 2; }
  void activate(uint32_t slot);
  void deactivate(uint32_t slot);
  void mark_dirty();
  // Re-reads the shared state of a slot the host uses: follows the guest's
  // answer to a host open, and folds protocol violations into `broken`.
  void refresh(uint32_t slot) const;
  // A closing slot whose release completed (state no longer open) goes idle.
  bool settle_closing(uint32_t slot);
  void release_slot(uint32_t slot, uint32_t flags);
  Error slot_error(uint32_t slot, const char* what, int code) const;

  abi::ChannelView m_view{};
  abi::ChannelHeader* m_header = nullptr;
  int m_memfd = -1;
  int m_to_host_fd = -1;
  int m_to_guest_fd = -1;
  // mutable: status() folds what it reads into the shadow (a cache of the
  // shared state, never an observable change).
  mutable std::vector<SlotShadow> m_slots;
  std::vector<uint32_t> m_active;  // slots whose shadow is not idle
  uint32_t m_open_cursor = 0;      // round-robin start for open()
  uint32_t m_guest_cursor = 0;     // round-robin start for next_guest_open()
  uint32_t m_seen_guest_events = 0;
  uint32_t m_service_count = 0;  // as written at create(); the header's copy is the guest's
  bool m_dirty = false;
  uint64_t m_kicks_sent = 0;
  std::function<void()> m_guest_kick_hook;
};

}  // namespace shoal::pool
