#include "health_probe.hpp"

#include <vector>

#include "pool/channel/channel.hpp"

namespace shoal::pool {

namespace {
constexpr size_t kMaxAnswer = 16 * 1024;  // the head is all a probe reads
}

Result<std::unique_ptr<HealthProbe>> HealthProbe::start(Instance& instance, std::string_view path, Done done) {
  if (!instance.channel || !instance.service) return make_error("health probe: instance has no channel");
  Channel& ch = *instance.channel;
  uint32_t slot = TRY(ch.open(static_cast<uint16_t>(instance.service->spec->port), 0, 0));
  auto probe = std::unique_ptr<HealthProbe>(new HealthProbe(instance, slot, std::move(done)));
  std::string req = "GET " + std::string(path) + " HTTP/1.1\r\nHost: " + instance.service->name() +
                    "\r\nUser-Agent: shoald-health\r\nConnection: close\r\n\r\n";
  // A fresh ring (ring_size >= 4 KiB) takes a short request whole.
  auto wrote = ch.write(slot, {reinterpret_cast<const uint8_t*>(req.data()), req.size()});
  if (!wrote || wrote.value() != req.size()) return make_error("health probe: cannot send the request");
  ch.flush();
  return probe;
}

HealthProbe::HealthProbe(Instance& instance, uint32_t slot, Done done)
    : m_instance(&instance), m_slot(slot), m_done(std::move(done)) {
  m_instance->slot_handlers[slot] = this;
}

HealthProbe::~HealthProbe() { release_slot(); }

void HealthProbe::release_slot() {
  if (!m_slot_open) return;
  m_slot_open = false;
  if (m_instance->slot_handlers[m_slot] == this) m_instance->slot_handlers[m_slot] = nullptr;
  if (m_instance->channel) {
    m_instance->channel->reset(m_slot);
    m_instance->channel->flush();
  }
}

void HealthProbe::finish(bool ok, std::string why) {
  release_slot();
  if (!m_done) return;
  auto done = std::move(m_done);
  m_done = nullptr;
  done(ok, std::move(why));
}

void HealthProbe::on_instance_gone() {
  // The channel is going away: forget the slot without touching it.
  m_slot_open = false;
  if (m_instance->slot_handlers[m_slot] == this) m_instance->slot_handlers[m_slot] = nullptr;
  finish(false, "instance gone");
}

void HealthProbe::on_slot_event() {
  if (!m_slot_open) return;
  Channel& ch = *m_instance->channel;
  ConnStatus st = ch.status(m_slot);
  if (st.state == ConnState::refused) return finish(false, "connection refused");
  uint8_t buf[4096];
  for (;;) {
    auto r = ch.read(m_slot, buf);
    if (!r) return finish(false, r.error().message);
    if (r.value().bytes == 0) {
      if (r.value().eof) break;
      if (st.peer_reset) return finish(false, "connection reset");
      return;  // nothing more yet
    }
    m_in.append(reinterpret_cast<const char*>(buf), r.value().bytes);
    if (m_in.size() > kMaxAnswer) return finish(false, "answer head too large");
    for (;;) {
      http::ParseResult p = m_parser.parse(m_in, http::Method::get, m_head);
      if (p.failed()) return finish(false, "malformed answer: " + std::string(p.error));
      if (!p.complete()) break;
      if (m_head.interim()) {  // 100 Continue and the like: the real head follows
        m_in.erase(0, p.consumed);
        continue;
      }
      int status = m_head.status;
      if (status >= 200 && status < 400) return finish(true, "");
      return finish(false, "status " + std::to_string(status));
    }
  }
  finish(false, "connection closed before an answer");
}

}  // namespace shoal::pool
