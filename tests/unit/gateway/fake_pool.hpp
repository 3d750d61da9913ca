// FakePool: the Pool interface over in-process services whose instances are
// real Channels answered by FakeGuests. Round-robin over ready instances; a
// service with no ready instance makes callers wait (like a pool scaled to
// zero) until make_ready() — the supervisor's part, played by the test.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pool/channel/channel.hpp"
#include "fake_guest.hpp"
#include "gateway/gateway.hpp"

namespace shoal::pool::testing {

class FakePool final : public Pool {
 public:
  explicit FakePool(EventLoop& loop) : m_loop(loop) {}

  Service& add_service(const std::string& name, uint16_t port) {
    auto settings = std::make_unique<spec::Service>();
    settings->name = name;
    settings->port = port;
    auto s = std::make_unique<Service>();
    s->spec = settings.get();
    m_specs.push_back(std::move(settings));
    s->index = uint32_t(m_services.size());
    m_services.push_back(std::move(s));
    return *m_services.back();
  }

  // The spec settings s reads (a test may change them before start()).
  spec::Service& settings(Service& s) {
    for (auto& p : m_specs)
      if (p.get() == s.spec) return *p;
    throw std::logic_error("not a service of this pool");
  }

  // An instance of s with a fake guest answering through `handler`.
  FakeGuest& add_instance(Service& s, FakeGuest::Handler handler, bool ready = true, uint32_t slot_count = 0) {
    auto i = std::make_unique<Instance>();
    i->id = ++m_next_id;
    i->service = &s;
    i->index = uint32_t(s.instances.size());
    ChannelConfig cfg;
    if (slot_count != 0) cfg.slot_count = slot_count;
    for (auto& svc : m_services) cfg.services.push_back({svc->name(), 0});
    auto ch = Channel::create(cfg);
    if (!ch.ok()) throw std::runtime_error(ch.error().message);
    i->channel = std::make_unique<Channel>(std::move(ch.value()));
    i->state = ready ? InstanceState::ready : InstanceState::starting;
    m_guests.push_back(std::make_unique<FakeGuest>(*i->channel, uint16_t(s.spec->port), std::move(handler)));
    m_guests.back()->listen();
    s.instances.push_back(std::move(i));
    return *m_guests.back();
  }

  void make_ready(Service& s, size_t index) {
    s.instances[index]->state = InstanceState::ready;
    if (m_listener) m_listener->on_capacity(s);
  }

  // The supervisor's dispatch: guests step, channel news goes to handlers.
  bool pump() {
    bool did = false;
    for (auto& g : m_guests) did |= g->step();
    for (auto& s : m_services)
      for (auto& i : s->instances) {
        Channel& ch = *i->channel;
        while (auto o = ch.next_guest_open()) {
          did = true;
          if (m_gateway) m_gateway->on_guest_connect(*i, o->slot, o->service, o->port);
        }
        m_ready.clear();
        uint32_t in_use = ch.slots_in_use();
        ch.collect(m_ready);
        // As the supervisor: a released slot may let a queued request go.
        if (ch.slots_in_use() < in_use) notify(*s);
        for (uint32_t slot : m_ready) {
          did = true;
          if (SlotHandler* h = i->slot_handlers[slot]) h->on_slot_event();
        }
      }
    return did;
  }

  void attach(Gateway& gw) {
    m_gateway = &gw;
    m_listener = &gw;
  }

  Service* service(std::string_view name) override {
    for (auto& s : m_services)
      if (s->name() == name) return s.get();
    return nullptr;
  }
  Service* service_by_index(uint32_t index) override {
    return index < m_services.size() ? m_services[index].get() : nullptr;
  }
  Pick pick(Service& s, const RequestKey&, const Instance* exclude) override {
    size_t n = s.instances.size();
    for (size_t k = 0; k < n; ++k) {
      Instance& i = *s.instances[(m_rr + k) % n];
      if (i.state != InstanceState::ready || &i == exclude) continue;
      if (s.max_concurrency != 0 && i.in_flight >= s.max_concurrency) continue;
      m_rr = (m_rr + k + 1) % n;
      ++i.in_flight;
      ++picks;
      return {Pick::instance, &i};
    }
    return {Pick::wait, nullptr};
  }
  void finish(Service& s, Instance& i, uint64_t, int, bool ok) override {
    --i.in_flight;
    ++finished;
    if (!ok) ++failures;
    notify(s);
  }
  void cancel(Service&, Instance& i) override {
    --i.in_flight;
    ++cancels;
  }
  // As the supervisor: capacity news reach the gateway after the current
  // callback (only while someone waits).
  void notify(Service& s) {
    if (waiting == 0 || !m_listener) return;
    m_loop.defer([this, &s] {
      if (m_listener) m_listener->on_capacity(s);
    });
  }
  void set_waiting(Service&, uint32_t waiting) override { this->waiting = waiting; }
  void record(Service&, int status, uint64_t) override { statuses.push_back(status); }
  bool may_retry(Service&) override { return true; }

  uint64_t picks = 0, finished = 0, failures = 0, cancels = 0;
  uint32_t waiting = 0;
  std::vector<int> statuses;

 private:
  EventLoop& m_loop;
  Gateway* m_gateway = nullptr;
  CapacityListener* m_listener = nullptr;
  std::vector<std::unique_ptr<spec::Service>> m_specs;  // what m_services' spec point to
  std::vector<std::unique_ptr<Service>> m_services;
  std::vector<std::unique_ptr<FakeGuest>> m_guests;
  std::vector<uint32_t> m_ready;
  uint64_t m_next_id = 0;
  size_t m_rr = 0;
};

}  // namespace shoal::pool::testing
