// ChannelHub: the events of every instance's channel, dispatched. It is the
// one place that reads what guests changed: the connections a guest opens
// (handed to the gateway, which splices them), the slots whose state moved
// (each handed to the SlotHandler that uses the slot: a gateway upstream
// connection, a splice end, a health probe), and the slots released (the
// owner is told, so requests waiting for a slot may go). Requests and replies
// both travel through it; the supervisor keeps only lifecycle, registering an
// instance when its channel exists and unregistering it before the channel
// goes.
//
// Notification suppression, host side. A channel is in one of two modes:
//   polled    — the loop looks at it on every iteration (poll hook; one load
//               of guest_events when nothing happened) and the guest does
//               not kick;
//   announced — the host said it will sleep on this channel (prepare_sleep);
//               the guest kicks to_host_fd after its next change, and the
//               kick's handler withdraws the announcement (finish_sleep),
//               polls the channel again and processes it. The kick
//               eventfd is watched edge-triggered on the file and closed
//               here (EventLoop::add_detached): only the monitor holds it,
//               so a channel costs shoald one descriptor (to_guest).
// A pool has thousands of instances and few busy ones, so only polled
// channels cost anything per iteration (they are kept in a list of their
// own), and a channel leaves that list on its own once it has been quiet
// for kQuietNs, even while the loop stays busy with others. A channel whose
// guest shoald has just kicked awake (a request sent to a sleeping instance)
// is polled at once: the answer comes without the guest's kick (an
// ioeventfd exit, ~22 us on kvm_pvm). When the whole loop is about to block,
// every polled channel is announced (idle hook).
//
// Everything runs on the EventLoop's thread.
#pragma once

#include <stdint.h>

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "event_loop.hpp"
#include "model.hpp"

namespace shoal::pool {

class ChannelHub {
 public:
  // The instances' owner (the supervisor): what it must hear of channels.
  class Owner {
   public:
    virtual ~Owner() = default;
    // The guest changed something on a starting instance's channel (its
    // port may be in the listen table now).
    virtual void on_channel_starting(Instance& i) = 0;
    // Slots of i were released: a request waiting for one may go.
    virtual void on_slots_released(Instance& i) = 0;
  };
  // A guest opened a connection (kSlotConnecting) to the service at
  // service_index: connect it or refuse it (the gateway).
  using GuestConnect = std::function<void(Instance& from, uint32_t slot, uint32_t service_index, uint32_t port)>;

  ChannelHub(EventLoop& loop, Owner& owner);
  ~ChannelHub();
  ChannelHub(const ChannelHub&) = delete;
  ChannelHub& operator=(const ChannelHub&) = delete;

  void set_guest_connect(GuestConnect handler) { m_guest_connect = std::move(handler); }
  // From now on, connections guests open are refused (the pool is stopping).
  void refuse_guest_connects() { m_refuse_guest_connects = true; }

  // Installs the loop's poll and idle hooks.
  void start();
  // i's channel exists: watch its kick and poll it with the others.
  void add(Instance& i);
  // Before i's channel is destroyed: no more events from it.
  void remove(Instance& i);
  // Every SlotHandler of i is told the instance is gone, and forgotten.
  void detach_handlers(Instance& i);

 private:
  // How long a polled channel may stay without news before the hub asks its
  // guest to kick instead. A woken guest answers within a few hundred us;
  // under load (two cores shared with the gateway and the client) within a
  // few ms.
  static constexpr uint64_t kQuietNs = 2'000'000;

  struct Entry {
    Instance* instance = nullptr;
    bool sleep_announced = false;  // Channel::prepare_sleep() is in force
    bool polled = false;           // in m_polled (then sleep_announced is false)
    uint32_t polled_index = 0;     // its place in m_polled
    uint64_t news_ns = 0;          // the last time the channel had news (or was woken)
    // The kick's watch: detached (the hub closed the eventfd; the monitor's
    // copy keeps the file open), or by descriptor if that failed.
    EventLoop::Token kick_token = 0;
    int kick_fd = -1;
  };
  void unwatch_kick(Entry& e);

  void process(Instance& i);      // if the guest changed something
  void process_now(Instance& i);  // the caller saw changed() already
  bool poll_channels();
  bool announce_sleep();
  // Polled from now on: the announcement (if any) is withdrawn.
  void poll(Entry& e, uint64_t now);
  // Out of the polled list (its announcement is the caller's business).
  void unpoll(Entry& e);
  // Channels whose guest was kicked since the last poll: polled from now on.
  void take_woken(uint64_t now);

  EventLoop& m_loop;
  Owner& m_owner;
  GuestConnect m_guest_connect;
  bool m_refuse_guest_connects = false;
  // Entries are nodes: their addresses stay valid while they exist, so the
  // lists below hold pointers (an entry leaves them before it is erased).
  std::unordered_map<Instance*, Entry> m_entries;
  std::vector<Entry*> m_polled;   // the channels polled on every iteration
  std::vector<Instance*> m_woken;  // from the channels' guest-kick hooks; may name removed instances
  std::vector<Instance*> m_busy;   // scratch for poll_channels / announce_sleep
  std::vector<Instance*> m_recheck;  // scratch: announcements that found work
  std::vector<uint32_t> m_slots;   // scratch for process_now
  // Cleared by the destructor: the loop's hooks outlive the hub.
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace shoal::pool
