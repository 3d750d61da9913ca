// Splice: a connection one instance opened to another service (connect() to
// SERVICE:PORT inside the guest), joined byte for byte to a host-opened slot
// on an instance of that service, picked by the service's balancer (per
// connection, not per request: the gateway does not parse this stream).
// Shut-downs travel across (a FIN on one side becomes a FIN on the other); a
// reset or an instance exit resets the other side.
#pragma once

#include <stdint.h>

#include <string>

#include "../model.hpp"
#include "gateway.hpp"

namespace shoal::pool {

class Splice final : public Waiter {
 public:
  // Takes over the guest-opened slot `from_slot` on `from` (still connecting).
  static void start(Gateway& gw, Instance& from, uint32_t from_slot, Service& target, uint32_t port);

  bool retry_pick() override;

 private:
  // One side of the splice, registered as that slot's handler.
  struct End final : SlotHandler {
    Splice* owner = nullptr;
    Instance* instance = nullptr;
    uint32_t slot = 0;
    bool eof_seen = false;      // the peer shut its write side
    bool shut_sent = false;     // we forwarded that shut to the other side
    std::string pending;        // read from this side, not yet written to the other
    void on_slot_event() override { owner->pump(); }
    void on_instance_gone() override { owner->gone(this); }
  };

  Splice(Gateway& gw, Instance& from, uint32_t from_slot, Service& target, uint32_t port);

 public:
  ~Splice() override;

 private:
  void pick();
  bool place(Pick p);
  void pump();
  bool move(End& src, End& dst);
  void gone(End* e);
  void finish(bool reset);

  Gateway& m_gw;
  Service& m_target;
  uint32_t m_port;
  End m_a;  // the calling instance's guest-opened slot
  End m_b;  // the slot on the target instance
  bool m_connected = false;
  bool m_done = false;
  Instance* m_picked = nullptr;
  uint64_t m_start_ns = 0;
  EventLoop::TimerId m_timer = 0;
};

}  // namespace shoal::pool
