// ClientConn: one client TCP connection to the gateway. Reads requests
// (pipelined ones one after another, in order), enforces the limits and
// timeouts of the spec's gateway table, routes each request, and writes the answers.
//
// Timeouts: idle_timeout while waiting for a request with nothing received
// (then the connection just closes), header_timeout from the first byte of a
// request to the end of its head, body_timeout from there to the end of the
// body (both answer 408 and close). The time an instance takes is bounded by
// the Call (504). A slow or hostile client only ever costs its own buffers.
#pragma once

#include <stdint.h>

#include <list>
#include <memory>
#include <string>

#include "../event_loop.hpp"
#include "gateway.hpp"
#include <shoal/pool/spec/spec.hpp>
#include "message.hpp"
#include "shoal/pool/http/body_reader.hpp"
#include "shoal/pool/http/message.hpp"
#include "shoal/pool/http/request_parser.hpp"

namespace shoal::pool {

class Gateway;

class ClientConn final : public InFlight {
 public:
  ClientConn(Gateway& gw, int fd, std::string address, uint32_t ipv4);
  ~ClientConn() override;
  // A reference for answers that arrive through the loop later (a call's
  // `done`): empty once this connection is destroyed.
  std::weak_ptr<ClientConn*> weak_self() const { return m_self; }
  void start();
  void close_now();
  // The socket holds unread bytes (a request on the way: not idle after all).
  bool has_pending_input() const;
  // When a connection that has not sent a byte yet may be closed to admit
  // another (0: it has served a request, it may go at once). Its first
  // request may still be on the wire, or in the host's deferred network
  // processing under load: closing it then would lose that request.
  uint64_t closable_from_ns() const { return m_fresh_until_ns; }

  // The gateway's list of idle connections (Gateway::client_idle).
  std::list<ClientConn*>::iterator m_idle_pos;
  bool m_in_idle_list = false;

 private:
  enum class State : uint8_t { idle, head, body, waiting, closing };

  void on_events(uint32_t events);
  void read_input();
  void process();
  void dispatch();
  void respond(Message&& response, bool head_request);
  void respond_error(int status, bool close);
  void write_output();
  void arm_timer(policy::Duration timeout, bool answer_408);
  void update_interest();

  Gateway& m_gw;
  int m_fd;
  std::string m_address;
  uint32_t m_ipv4;
  State m_state = State::idle;
  bool m_peer_closed = false;
  bool m_close_after_write = false;
  bool m_want_write = false;
  std::string m_in;          // unprocessed bytes, the current request first
  std::string m_out;
  size_t m_out_off = 0;
  http::RequestParser m_parser;
  http::RequestHead m_head;
  http::BodyReader m_body;
  Message m_request;         // the request being read
  http::Version m_version = http::Version::http11;
  bool m_keep_alive = true;
  bool m_head_request = false;
  std::string m_request_id;
  uint64_t m_request_start_ns = 0;
  uint64_t m_fresh_until_ns = 0;
  EventLoop::TimerId m_timer = 0;
  std::shared_ptr<ClientConn*> m_self = std::make_shared<ClientConn*>(this);
};

}  // namespace shoal::pool
