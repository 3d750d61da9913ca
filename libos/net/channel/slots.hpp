// Which socket holds which channel slot, as the guest sees it. The guest
// never trusts a slot's state word to tell it what it owns: this table does.
#pragma once

#include <shoal/abi/channel_ops.h>
#include <stdint.h>

namespace libos::net {

class ChannelSocket;

struct SlotUse {
  ChannelSocket* socket;  // nullptr: not ours
  bool queued;     // accepted into `socket`'s (a listener's) backlog
};

SlotUse& slot_use(uint32_t index);
// The checked slot header and this guest's end of slot `index`.
shoal::abi::ChannelSlot* slot_at(uint32_t index);
shoal::abi::ChannelEnd slot_end(uint32_t index);
// The scan must run even though host_events did not move (a backlog had room
// again, so a connection left waiting can be accepted now).
void request_rescan();
bool take_rescan();

}  // namespace libos::net
