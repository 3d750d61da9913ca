#include "channel_hub.hpp"

#include <sys/epoll.h>

#include <set>

#include "pool/channel/channel.hpp"

namespace shoal::pool {

ChannelHub::ChannelHub(EventLoop& loop, Owner& owner) : m_loop(loop), m_owner(owner) {}

ChannelHub::~ChannelHub() {
  *m_alive = false;
  for (auto& [i, e] : m_entries)
    if (i->channel) m_loop.remove(i->channel->to_host_fd());
}

void ChannelHub::start() {
  std::weak_ptr<bool> alive = m_alive;
  m_loop.add_poll_hook([this, alive] { return !alive.expired() && *alive.lock() && poll_channels(); });
  m_loop.add_idle_hook([this, alive] { return !alive.expired() && *alive.lock() && announce_sleep(); });
}

void ChannelHub::add(Instance& i) {
  Instance* p = &i;
  m_entries[p] = Entry{p, false};
  (void)m_loop.add(i.channel->to_host_fd(), EPOLLIN, [this, p](uint32_t) {
    auto it = m_entries.find(p);
    if (it == m_entries.end() || !p->channel) return;
    p->channel->finish_sleep();
    it->second.sleep_announced = false;
    process(*p);
  });
}

void ChannelHub::remove(Instance& i) {
  if (m_entries.erase(&i) == 0) return;
  if (i.channel) m_loop.remove(i.channel->to_host_fd());
}

void ChannelHub::detach_handlers(Instance& i) {
  // Collected first: a handler's on_instance_gone may clear other entries.
  std::set<SlotHandler*> handlers;
  for (auto& h : i.slot_handlers) {
    if (h) handlers.insert(h);
    h = nullptr;
  }
  for (SlotHandler* h : handlers) h->on_instance_gone();
}

void ChannelHub::process(Instance& i) {
  if (i.channel && i.state != InstanceState::exited && i.channel->changed()) process_now(i);
}

void ChannelHub::process_now(Instance& i) {
  if (!i.channel || i.state == InstanceState::exited) return;
  Channel& ch = *i.channel;
  if (i.state == InstanceState::starting) m_owner.on_channel_starting(i);
  while (auto open = ch.next_guest_open()) {
    if (m_guest_connect && !m_refuse_guest_connects) {
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
  if (ch.slots_in_use() < in_use && i.service) m_owner.on_slots_released(i);
  for (uint32_t slot : slots) {
    if (!i.channel) break;
    if (slot < i.slot_handlers.size() && i.slot_handlers[slot]) i.slot_handlers[slot]->on_slot_event();
  }
  slots.clear();
  m_slots.swap(slots);
  if (i.channel) i.channel->flush();
}

bool ChannelHub::poll_channels() {
  bool busy = false;
  for (auto& [i, e] : m_entries) {
    if (!i->channel || e.sleep_announced) continue;
    if (i->channel->changed()) {
      // changed() consumed the news: process without asking again.
      busy = true;
      m_busy.push_back(i);
    }
  }
  // Processed after the scan: handlers may add or remove instances.
  std::vector<Instance*> list;
  list.swap(m_busy);
  for (Instance* i : list)
    if (m_entries.count(i)) process_now(*i);
  list.clear();
  if (m_busy.empty()) m_busy.swap(list);
  return busy;
}

bool ChannelHub::announce_sleep() {
  bool busy = false;
  for (auto& [i, e] : m_entries) {
    if (!i->channel || e.sleep_announced) continue;
    if (i->channel->prepare_sleep()) {
      // Work arrived between the last poll and the announcement.
      i->channel->finish_sleep();
      busy = true;
      m_busy.push_back(i);
    } else {
      e.sleep_announced = true;
    }
  }
  std::vector<Instance*> list;
  list.swap(m_busy);
  for (Instance* i : list)
    if (m_entries.count(i)) process(*i);
  list.clear();
  if (m_busy.empty()) m_busy.swap(list);
  return busy;
}

}  // namespace shoal::pool
