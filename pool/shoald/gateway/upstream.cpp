#include "upstream.hpp"

#include <errno.h>

#include "pool/channel/channel.hpp"
#include "call.hpp"
#include "gateway.hpp"
#include "shoal/pool/http/writer.hpp"

namespace shoal::pool {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

http::Limits response_limits(const spec::Gateway& c) {
  http::Limits l;
  l.max_body = c.max_body_bytes;
  return l;
}

}  // namespace

UpstreamConn* UpstreamConn::open(Gateway& gw, Instance& i, uint32_t client_ipv4) {
  auto slot = i.channel->open(i.service->spec->port, client_ipv4, 0);
  if (!slot.ok()) return nullptr;
  UpstreamConn* c = gw.adopt(std::unique_ptr<UpstreamConn>(new UpstreamConn(gw, i, slot.value())));
  i.slot_handlers[slot.value()] = c;
  return c;
}

UpstreamConn::UpstreamConn(Gateway& gw, Instance& i, uint32_t slot)
    : m_gw(gw), m_instance(&i), m_slot(slot), m_parser(response_limits(gw.config())) {}

UpstreamConn::~UpstreamConn() {
  // Only ~Gateway destroys a connection that has not retired (its instance
  // is still there then): the slot must not keep pointing here.
  if (m_state != State::dead && m_instance->slot_handlers[m_slot] == this) m_instance->slot_handlers[m_slot] = nullptr;
}

void UpstreamConn::send(Call* call, const std::string& wire, http::Method method) {
  m_call = call;
  m_method = method;
  m_answered_nothing = true;
  m_have_head = false;
  m_parser.reset();
  m_response = Message{};
  m_out.assign(wire);
  m_out_off = 0;
  pump();
}

void UpstreamConn::pump() {
  if (m_state == State::dead) return;
  Channel& ch = *m_instance->channel;
  if (m_state == State::connecting) {
    ConnStatus st = ch.status(m_slot);
    if (st.peer_reset) return fail("the instance reset the connection");
    if (st.state == ConnState::connecting) {
      // The guest has not accepted yet; bytes may already go into the ring.
      flush_out();
      return;
    }
    if (st.state != ConnState::open) return fail("the instance refused the connection");
    m_state = State::open;
  }
  if (!flush_out()) return;
  read_in();
}

bool UpstreamConn::flush_out() {
  Channel& ch = *m_instance->channel;
  if (m_out_off < m_out.size()) {
    auto n = ch.write(m_slot, {reinterpret_cast<const uint8_t*>(m_out.data()) + m_out_off, m_out.size() - m_out_off});
    if (!n.ok()) {
      fail(n.error().errno_code() == EPIPE ? "the instance closed the connection" : "the instance reset the connection");
      return false;
    }
    m_out_off += n.value();
    if (n.value() > 0) ch.flush();
    if (m_out_off == m_out.size()) {
      m_out.clear();
      m_out_off = 0;
    }
  }
  return true;
}

void UpstreamConn::read_in() {
  Channel& ch = *m_instance->channel;
  // Read into one scratch buffer and append what came: growing m_in first
  // would zero-fill a whole chunk per read (it showed as the top symbol of
  // shoald's profile under load).
  static uint8_t scratch[kReadChunk];
  for (;;) {
    auto r = ch.read(m_slot, {scratch, kReadChunk});
    if (!r.ok()) return fail("the instance reset the connection");
    m_in.append(reinterpret_cast<const char*>(scratch), r.value().bytes);
    if (r.value().eof) m_peer_eof = true;
    if (r.value().bytes > 0) ch.flush();  // consuming freed ring space: the guest may wait for it
    if (r.value().bytes < kReadChunk) break;
  }
  if (m_call == nullptr) {
    // Idle: bytes or EOF from the instance mean the connection is no longer
    // usable for another request.
    if (!m_in.empty() || m_peer_eof) {
      m_gw.forget_idle(this);
      ch.close(m_slot);
      destroy();
    }
    return;
  }
  if (!m_in.empty()) m_answered_nothing = false;
  if (parse_response()) return;
  if (m_peer_eof && m_state != State::dead) {
    if (m_have_head && m_body.finish_at_eof()) {
      // A read-until-close body ends here.
      m_response.body.shrink_to_fit();
      Call* call = m_call;
      m_call = nullptr;
      ch.close(m_slot);
      destroy();
      call->on_response(std::move(m_response));
      return;
    }
    fail(m_answered_nothing ? "the instance closed the connection without answering"
                            : "the instance closed the connection mid-response");
  }
}

// Returns true when the connection was handed back or destroyed (stop using it).
bool UpstreamConn::parse_response() {
  for (;;) {
    if (!m_have_head) {
      http::ParseResult r = m_parser.parse(m_in, m_method, m_head);
      if (r.failed()) {
        fail("the instance sent a malformed response");
        return true;
      }
      if (!r.complete()) return false;
      if (m_head.interim()) {  // 100 Continue and friends: skip
        m_in.erase(0, r.consumed);
        m_parser.reset();
        continue;
      }
      m_response.status = m_head.status;
      for (const auto& h : m_head.headers)
        if (!http::is_hop_by_hop(h.name)) m_response.headers.push_back({std::string(h.name), std::string(h.value)});
      http::Limits l = response_limits(m_gw.config());
      m_body.reset(m_head.body, l);
      m_have_head = true;
      m_in.erase(0, r.consumed);
    }
    http::BodyStep s = m_body.read_all(m_in, [&](std::string_view d) { m_response.body.append(d); });
    if (s.status == http::BodyStatus::error) {
      fail("the instance sent a malformed or oversized body");
      return true;
    }
    m_in.erase(0, s.consumed);
    if (s.status != http::BodyStatus::done) return false;
    bool reusable = m_head.keeps_alive() && m_in.empty() && !m_peer_eof && m_out.empty();
    Call* call = m_call;
    m_call = nullptr;
    if (reusable) {
      m_gw.put_idle(this);
    } else {
      m_instance->channel->close(m_slot);
      destroy();
    }
    call->on_response(std::move(m_response));
    return true;
  }
}

void UpstreamConn::fail(const char* why) {
  if (m_state == State::dead) return;
  Call* call = m_call;
  bool nothing = m_answered_nothing;
  m_call = nullptr;
  if (m_instance->channel) m_instance->channel->reset(m_slot);
  destroy();
  if (call != nullptr) call->on_upstream_failure(why, nothing);
}

void UpstreamConn::abandon() {
  m_call = nullptr;
  if (m_state == State::dead) return;
  m_instance->channel->reset(m_slot);
  destroy();
}

void UpstreamConn::close() {
  if (m_state == State::dead) return;
  m_instance->channel->close(m_slot);
  destroy();
}

void UpstreamConn::on_slot_event() { pump(); }

void UpstreamConn::on_instance_gone() {
  // The channel is going away with the instance: do not touch it again.
  Call* call = m_call;
  bool nothing = m_answered_nothing;
  m_call = nullptr;
  m_gw.forget_idle(this);
  m_state = State::dead;
  m_instance->slot_handlers[m_slot] = nullptr;
  m_gw.retire(this);
  if (call != nullptr) call->on_upstream_failure("the instance exited", nothing);
}

// Detaches from the slot and retires (destroyed once the current callback
// stack has unwound: callers may still be inside a member function).
void UpstreamConn::destroy() {
  if (m_state == State::dead) return;
  m_state = State::dead;
  if (m_instance->slot_handlers[m_slot] == this) m_instance->slot_handlers[m_slot] = nullptr;
  m_gw.retire(this);
}

}  // namespace shoal::pool
