// Call: one request to one service, from pick to answer: chooses an instance
// (balancer + admission via Pool), waits when the service has no capacity
// (held by the gateway), sends over a keep-alive upstream connection, and
// retries once on another instance when the first fails before answering and
// the request may be repeated (idempotent or retryable route, retry budget).
//
// The answer is always delivered exactly once through `done`, from the event
// loop (never from inside start()): the instance's response, or one the
// gateway made (502 the instance failed, 503 the service's queue is full or
// the request waited past its queue_timeout, 504 timed out). A request that
// finds every instance busy (at its concurrency cap, or with no free channel
// slot) waits in the service's queue, FIFO, and is dispatched when a slot
// frees. The gateway owns a Call (InFlight); it retires when it answers. A
// caller that may go away first guards its `done` (e.g. a weak_ptr): the
// call still completes,
// so the instance's work and the balancer's accounting stay consistent.
#pragma once

#include <stdint.h>

#include <functional>
#include <string>

#include "../pool.hpp"
#include "gateway.hpp"
#include "message.hpp"

namespace shoal::pool {

class UpstreamConn;

class Call final : public Waiter {
 public:
  using Done = std::function<void(Message&& response)>;
  struct Options {
    bool retryable = false;       // may be sent twice
    policy::Duration timeout{0};  // per attempt; 0 = gateway.request_timeout
    uint32_t client_ipv4 = 0;     // for ip_hash
  };

  static void start(Gateway& gw, Service& s, Message request, Options opts, Done done);

  // From UpstreamConn.
  void on_response(Message&& response);
  // The instance failed this request; `sent` = it may have seen the request
  // (a retry is only safe when the request can be repeated).
  void on_upstream_failure(const char* why, bool answered_nothing);

  bool retry_pick() override;

 private:
  Call(Gateway& gw, Service& s, Message request, Options opts, Done done);

 public:
  ~Call() override;  // by its owner, the gateway

 private:
  RequestKey request_key() const;
  void attempt();
  UpstreamConn* connection_to(Instance& i);
  void send_on(Instance& i, UpstreamConn* c);
  void wait_for_slot();
  void finish_with(Message&& response);
  void fail(int status, const char* why);
  void on_timeout();
  void arm_queue_timer();

  Gateway& m_gw;
  Service& m_service;
  Message m_request;
  Options m_opts;
  Done m_done;
  std::string m_wire;             // the serialized request
  Instance* m_instance = nullptr; // the current attempt's instance
  const Instance* m_failed = nullptr;
  UpstreamConn* m_conn = nullptr;
  uint64_t m_start_ns = 0;
  uint64_t m_attempt_ns = 0;
  EventLoop::TimerId m_timer = 0;
  EventLoop::TimerId m_queue_timer = 0;
  int m_attempts = 0;
};

}  // namespace shoal::pool
