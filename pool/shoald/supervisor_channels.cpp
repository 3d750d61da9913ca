// Supervisor: the channels of the instances, driven from the event loop.
//
// Notification suppression, host side. A channel is in one of two modes:
//   polled    — the loop looks at it on every iteration (poll hook; one load
//               of guest_events when nothing happened) and the guest does
//               not kick;
//   announced — the loop said it will sleep (prepare_sleep, idle hook); the
//               guest kicks to_host_fd after its next change, and the kick's
//               handler withdraws the announcement (finish_sleep) and
//               processes the channel.
// Channels switch to announced only when the whole loop is about to block,
// so under load (the loop never idle) guests do not kick at all.
#include "pool/channel/channel.hpp"
#include "supervisor.hpp"

namespace shoal::pool {

void Supervisor::process_channel(Instance& i) {
  if (i.channel && i.state != InstanceState::exited && i.channel->changed()) process_channel_now(i);
}

void Supervisor::process_channel_now(Instance& i) {
  if (!i.channel || i.state == InstanceState::exited) return;
  Channel& ch = *i.channel;
  if (i.state == InstanceState::starting) check_ready(i);
  while (auto open = ch.next_guest_open()) {
    if (m_guest_connect && !m_stopping) {
      m_guest_connect(i, open->slot, open->service, open->port);
    } else {
      (void)ch.refuse(open->slot);
    }
    if (!i.channel) return;  // the handler ended the instance
  }
  // A nested call (a handler polling another channel) gets its own vector.
  std::vector<uint32_t> slots;
  slots.swap(m_slots);
  slots.clear();
  uint32_t in_use = ch.slots_in_use();
  ch.collect(slots);
  // A slot whose release completed is free again: a request queued for
  // want of a slot (pick admitted it, open found none) may go now.
  if (ch.slots_in_use() < in_use && i.service) {
    ServiceRuntime& rt = rt_of(*i.service);
    if (rt.waiting > 0) queue_capacity_notice(rt);
  }
  for (uint32_t slot : slots) {
    if (!i.channel) break;
    if (slot < i.slot_handlers.size() && i.slot_handlers[slot]) i.slot_handlers[slot]->on_slot_event();
  }
  slots.clear();
  m_slots.swap(slots);
  if (i.channel) i.channel->flush();
}

bool Supervisor::poll_channels() {
  bool busy = false;
  for (auto& [id, i] : m_instances) {
    if (!i->channel || i->runtime->sleep_announced) continue;
    if (i->channel->changed()) {
      // changed() consumed the news: process without asking again.
      busy = true;
      m_busy_channels.push_back(i);
    }
  }
  // Processed after the scan: handlers may add or remove instances.
  std::vector<Instance*> list;
  list.swap(m_busy_channels);
  for (Instance* i : list) process_channel_now(*i);
  list.clear();
  if (m_busy_channels.empty()) m_busy_channels.swap(list);
  return busy;
}

bool Supervisor::announce_sleep() {
  bool busy = false;
  for (auto& [id, i] : m_instances) {
    if (!i->channel || i->runtime->sleep_announced) continue;
    if (i->channel->prepare_sleep()) {
      // Work arrived between the last poll and the announcement.
      i->channel->finish_sleep();
      busy = true;
      m_busy_channels.push_back(i);
    } else {
      i->runtime->sleep_announced = true;
    }
  }
  std::vector<Instance*> list;
  list.swap(m_busy_channels);
  for (Instance* i : list) process_channel(*i);
  list.clear();
  if (m_busy_channels.empty()) m_busy_channels.swap(list);
  return busy;
}

}  // namespace shoal::pool
