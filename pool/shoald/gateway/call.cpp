#include "call.hpp"

#include "shoal/pool/http/canned.hpp"
#include "shoal/pool/http/message.hpp"
#include "shoal/pool/http/writer.hpp"
#include "upstream.hpp"

namespace shoal::pool {

void Call::start(Gateway& gw, Service& s, Message request, Options opts, Done done) {
  Call* c = gw.adopt(std::unique_ptr<Call>(new Call(gw, s, std::move(request), std::move(opts), std::move(done))));
  c->attempt();
}

Call::Call(Gateway& gw, Service& s, Message request, Options opts, Done done)
    : m_gw(gw), m_service(s), m_request(std::move(request)), m_opts(std::move(opts)), m_done(std::move(done)) {
  m_start_ns = EventLoop::now_ns();
  auto views = header_views(m_request);
  http::write_request(m_wire, m_request.method, m_request.target, views, m_request.body);
  if (m_opts.timeout == policy::Duration::zero()) m_opts.timeout = gw.config().request_timeout;
  // One deadline covers holding (cold start, queue) and every attempt, so a
  // client never waits longer than hold + request timeout in total.
  policy::Duration budget = gw.config().hold_timeout + m_opts.timeout;
  m_timer = gw.loop().after(budget, [this] {
    m_timer = 0;
    on_timeout();
  });
}

Call::~Call() {
  if (m_timer != 0) m_gw.loop().cancel(m_timer);
  if (m_queue_timer != 0) m_gw.loop().cancel(m_queue_timer);
}

RequestKey Call::request_key() const {
  RequestKey key;
  key.client_ipv4 = m_opts.client_ipv4;
  key.url = m_request.target;
  const policy::HashKey& hash = m_service.spec->hash_key;
  if (hash.source == policy::HashKey::Source::header) key.hash_header = m_request.header(hash.header_name);
  return key;
}

void Call::attempt() {
  Pick p = m_gw.pool().pick(m_service, request_key(), m_failed);
  switch (p.kind) {
    case Pick::instance:
      if (UpstreamConn* c = connection_to(*p.chosen)) return send_on(*p.chosen, c);
      return wait_for_slot();
    case Pick::wait:
      if (!m_gw.hold(m_service, this)) return fail(503, "queue full");
      arm_queue_timer();
      return;
    case Pick::reject:
      fail(503, p.why ? p.why : "no capacity");
      return;
  }
}

// The balancer admitted the request (the instance is under its cap) but every
// channel slot of that instance is taken for a moment: one still closing
// (the guest has not released it yet) or held by a health probe or a splice.
// The request was admitted, so it waits in the service's queue rather than
// being refused; a slot release or a finished request wakes it.
void Call::wait_for_slot() {
  m_gw.hold(m_service, this, /*admitted=*/true);
  if (m_queue_timer == 0) arm_queue_timer();
}

bool Call::retry_pick() {
  Pick p = m_gw.pool().pick(m_service, request_key(), m_failed);
  if (p.kind == Pick::wait) return false;
  UpstreamConn* c = nullptr;
  if (p.kind == Pick::instance && (c = connection_to(*p.chosen)) == nullptr) return false;  // keeps its place
  // Out of the queue before sending: the send may finish (and delete) the call.
  m_queued = false;
  if (m_queue_timer != 0) {
    m_gw.loop().cancel(m_queue_timer);
    m_queue_timer = 0;
  }
  if (c != nullptr) {
    send_on(*p.chosen, c);
  } else {
    fail(503, p.why ? p.why : "no capacity");
  }
  return true;
}

// An idle keep-alive connection to i, or one on a new slot. nullptr when i
// has no free slot: the pick is given back (not counted as a request or a
// failure) and the caller waits.
UpstreamConn* Call::connection_to(Instance& i) {
  UpstreamConn* c = m_gw.take_idle(i);
  if (c == nullptr) c = UpstreamConn::open(m_gw, i, m_opts.client_ipv4);
  if (c == nullptr) m_gw.pool().cancel(m_service, i);
  return c;
}

// May finish the call (and delete it) before returning.
void Call::send_on(Instance& i, UpstreamConn* c) {
  ++m_attempts;
  m_instance = &i;
  m_attempt_ns = EventLoop::now_ns();
  m_conn = c;
  c->send(this, m_wire, http::to_method(m_request.method));
}

void Call::on_response(Message&& response) {
  m_conn = nullptr;
  uint64_t latency = EventLoop::now_ns() - m_attempt_ns;
  // A 5xx from the instance still counts as an answer (the service decided);
  // passive health only counts transport failures.
  m_gw.pool().finish(m_service, *m_instance, latency, response.status, true);
  m_instance = nullptr;
  finish_with(std::move(response));
}

void Call::on_upstream_failure(const char* why, bool answered_nothing) {
  m_conn = nullptr;
  Instance* failed = m_instance;
  m_instance = nullptr;
  m_gw.pool().finish(m_service, *failed, EventLoop::now_ns() - m_attempt_ns, 502, false);
  bool repeatable = m_opts.retryable || is_idempotent(m_request.method);
  // Once an instance sent part of an answer the request has been processed:
  // repeating it is only right when the method is idempotent anyway.
  if (!answered_nothing && !is_idempotent(m_request.method)) repeatable = false;
  if (repeatable && m_attempts < 2 && m_gw.pool().may_retry(m_service)) {
    ++m_gw.mutable_stats().retries;
    m_failed = failed;
    attempt();
    return;
  }
  fail(502, why);
}

// A request waiting while the service has ready instances (all at their
// concurrency cap) waits at most the service's queue_timeout (then 503, as a
// full queue); one waiting for a first instance (cold start) waits up to the
// gateway's hold_timeout, covered by the call's overall deadline (504).
void Call::arm_queue_timer() {
  if (m_service.spec->queue_timeout == policy::Duration::zero()) return;
  bool any_ready = false;
  for (const auto& i : m_service.instances) any_ready = any_ready || i->state == InstanceState::ready;
  if (!any_ready) return;
  m_queue_timer = m_gw.loop().after(m_service.spec->queue_timeout, [this] {
    m_queue_timer = 0;
    if (m_queued) m_gw.unhold(m_service, this);
    fail(503, "queued past the service's queue_timeout");
  });
}

void Call::on_timeout() {
  if (m_queue_timer != 0) {
    m_gw.loop().cancel(m_queue_timer);
    m_queue_timer = 0;
  }
  if (m_conn != nullptr) {
    m_conn->abandon();
    m_conn = nullptr;
    m_gw.pool().finish(m_service, *m_instance, EventLoop::now_ns() - m_attempt_ns, 504, false);
    m_instance = nullptr;
  }
  if (m_queued) m_gw.unhold(m_service, this);
  fail(504, "timed out");
}

void Call::fail(int status, const char* why) {
  Message r;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain"});
  if (status == 503) r.headers.push_back({"Retry-After", "1"});
  r.body = std::string(http::reason_phrase(status)) + ": " + m_service.spec->name + ": " + why + "\n";
  ++m_gw.mutable_stats().upstream_errors;
  finish_with(std::move(r));
}

void Call::finish_with(Message&& response) {
  m_gw.pool().record(m_service, response.status, EventLoop::now_ns() - m_start_ns);
  // Always answered from the loop, never from inside start(): the caller
  // is not re-entered while it is still dispatching.
  m_gw.loop().defer([done = std::move(m_done), r = std::move(response)]() mutable {
    if (done) done(std::move(r));
  });
  // Answered: no timer may fire on it while it waits for the sweep.
  if (m_timer != 0) m_gw.loop().cancel(m_timer);
  if (m_queue_timer != 0) m_gw.loop().cancel(m_queue_timer);
  m_timer = m_queue_timer = 0;
  m_gw.retire(this);
}

}  // namespace shoal::pool
