#include "channel_hub.hpp"

#include <sys/epoll.h>

#include <set>

#include "pool/channel/channel.hpp"

namespace shoal::pool {

ChannelHub::ChannelHub(EventLoop& loop, Owner& owner) : m_loop(loop), m_owner(owner) {}

ChannelHub::~ChannelHub() {
  *m_alive = false;
  for (auto& [i, e] : m_entries) {
    unwatch_kick(e);
    if (i->channel) i->channel->set_guest_kick_hook(nullptr);
  }
}

void ChannelHub::start() {
  std::weak_ptr<bool> alive = m_alive;
  m_loop.add_poll_hook([this, alive] { return !alive.expired() && *alive.lock() && poll_channels(); });
  m_loop.add_idle_hook([this, alive] { return !alive.expired() && *alive.lock() && announce_sleep(); });
}

void ChannelHub::add(Instance& i) {
  Instance* p = &i;
  Entry& e = m_entries[p];
  e = Entry{.instance = p};
  poll(e, EventLoop::now_ns());  // a new guest boots: polled until it goes quiet
  // Recorded only: the hook runs inside Channel::flush(), which may run
  // inside prepare_sleep() (see take_woken()).
  i.channel->set_guest_kick_hook([this, p] { m_woken.push_back(p); });
  auto on_kick = [this, p](uint32_t) {
    auto it = m_entries.find(p);
    if (it == m_entries.end() || !p->channel) return;
    p->channel->finish_sleep();
    it->second.sleep_announced = false;
    poll(it->second, EventLoop::now_ns());
    process(*p);
  };
  int fd = i.channel->to_host_fd();
  if (fd < 0) return;
  if (auto token = m_loop.add_detached(fd, EPOLLIN, on_kick)) {
    e.kick_token = token.value();
    i.channel->drop_to_host_fd();
  } else if (m_loop.add(fd, EPOLLIN, on_kick)) {
    e.kick_fd = fd;
  }
}

void ChannelHub::unwatch_kick(Entry& e) {
  if (e.kick_token) m_loop.remove_detached(e.kick_token);
  if (e.kick_fd >= 0) m_loop.remove(e.kick_fd);
  e.kick_token = 0;
  e.kick_fd = -1;
}

void ChannelHub::remove(Instance& i) {
  auto it = m_entries.find(&i);
  if (it == m_entries.end()) return;
  unpoll(it->second);
  unwatch_kick(it->second);
  m_entries.erase(it);
  if (i.channel) i.channel->set_guest_kick_hook(nullptr);
}

void ChannelHub::poll(Entry& e, uint64_t now) {
  e.news_ns = now;
  if (e.sleep_announced) {
    e.instance->channel->withdraw_sleep();
    e.sleep_announced = false;
  }
  if (e.polled) return;
  e.polled = true;
  e.polled_index = static_cast<uint32_t>(m_polled.size());
  m_polled.push_back(&e);
}

void ChannelHub::unpoll(Entry& e) {
  if (!e.polled) return;
  Entry* last = m_polled.back();
  m_polled[e.polled_index] = last;
  last->polled_index = e.polled_index;
  m_polled.pop_back();
  e.polled = false;
}

void ChannelHub::take_woken(uint64_t now) {
  for (Instance* i : m_woken) {
    auto it = m_entries.find(i);
    if (it != m_entries.end() && i->channel) poll(it->second, now);
  }
  m_woken.clear();
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
  uint64_t now = EventLoop::now_ns();
  take_woken(now);
  bool busy = false;
  // Index loop: unpoll() moves the last entry into the current place.
  for (size_t k = 0; k < m_polled.size();) {
    Entry& e = *m_polled[k];
    Channel* ch = e.instance->channel.get();
    if (!ch) {
      ++k;
      continue;
    }
    if (ch->changed()) {
      // changed() consumed the news: process without asking again.
      e.news_ns = now;
      busy = true;
      m_busy.push_back(e.instance);
    } else if (now - e.news_ns >= kQuietNs) {
      // Quiet for a while: let this guest kick us instead of looking at it
      // on every iteration.
      if (ch->prepare_sleep()) {
        ch->finish_sleep();  // news arrived meanwhile: stay polled
        e.news_ns = now;
        busy = true;
        m_recheck.push_back(e.instance);
      } else {
        e.sleep_announced = true;
        unpoll(e);
        continue;  // m_polled[k] is another entry now
      }
    }
    ++k;
  }
  // Processed after the scan: handlers may add or remove instances.
  std::vector<Instance*> list, recheck;
  list.swap(m_busy);
  recheck.swap(m_recheck);
  for (Instance* i : list)
    if (m_entries.count(i)) process_now(*i);
  for (Instance* i : recheck)
    if (m_entries.count(i)) process(*i);
  list.clear();
  recheck.clear();
  if (m_busy.empty()) m_busy.swap(list);
  if (m_recheck.empty()) m_recheck.swap(recheck);
  return busy;
}

bool ChannelHub::announce_sleep() {
  // Kicks sent since the last poll: those guests answer soon, but the loop
  // is about to sleep, so they are announced like the rest (and kick).
  m_woken.clear();
  bool busy = false;
  for (size_t k = 0; k < m_polled.size();) {
    Entry& e = *m_polled[k];
    Channel* ch = e.instance->channel.get();
    if (!ch) {
      ++k;
      continue;
    }
    if (ch->prepare_sleep()) {
      // Work arrived between the last poll and the announcement.
      ch->finish_sleep();
      busy = true;
      m_busy.push_back(e.instance);
      ++k;
    } else {
      e.sleep_announced = true;
      unpoll(e);
    }
  }
  std::vector<Instance*> list;
  list.swap(m_busy);
  for (Instance* i : list)
    if (m_entries.count(i)) process(*i);
  list.clear();
  if (m_busy.empty()) m_busy.swap(list);
  // prepare_sleep() flushes: a kick it sent recorded a woken guest, which
  // is announced already (its answer kicks us).
  m_woken.clear();
  return busy;
}

}  // namespace shoal::pool
