// UpstreamConn: one stream connection from the gateway to an instance over a
// host-opened channel slot, carrying requests one at a time (HTTP/1.1
// keep-alive; idle ones are kept per instance and reused, so a request costs
// no slot open/accept round trip).
//
// The instance is untrusted: its response is parsed strictly (pool/http),
// bounded by the gateway's body limit, and any protocol error fails the call
// with 502 and drops the connection.
#pragma once

#include <stdint.h>

#include <string>

#include "../model.hpp"
#include "gateway.hpp"
#include "message.hpp"
#include "shoal/pool/http/body_reader.hpp"
#include "shoal/pool/http/message.hpp"
#include "shoal/pool/http/response_parser.hpp"

namespace shoal::pool {

class Call;
class Gateway;

class UpstreamConn final : public SlotHandler, public InFlight {
 public:
  // Opens a slot to `i`'s service port; nullptr when the channel has no free
  // slot (the caller treats it like a busy instance).
  static UpstreamConn* open(Gateway& gw, Instance& i, uint32_t client_ipv4);

  Instance& instance() { return *m_instance; }
  // Sends `wire` (one serialized request) for `call`; the response (or the
  // failure) goes back to call.
  void send(Call* call, const std::string& wire, http::Method method);
  // The call gave up (timeout, cancel): drop the connection, as the rest of
  // its response is no longer wanted.
  void abandon();
  // Idle and known good: close politely (scale-down, shutdown).
  void close();

  void on_slot_event() override;
  void on_instance_gone() override;

 private:
  UpstreamConn(Gateway& gw, Instance& i, uint32_t slot);

 public:
  ~UpstreamConn() override;

 private:
  void pump();
  bool flush_out();
  void read_in();
  bool parse_response();
  void fail(const char* why);
  void destroy();

  enum class State : uint8_t { connecting, open, dead };

  Gateway& m_gw;
  Instance* m_instance;
  uint32_t m_slot;
  State m_state = State::connecting;
  Call* m_call = nullptr;
  bool m_answered_nothing = true;  // no byte of a response yet
  bool m_peer_eof = false;
  http::Method m_method = http::Method::get;
  std::string m_out;
  size_t m_out_off = 0;
  std::string m_in;
  http::ResponseParser m_parser;
  http::ResponseHead m_head;
  bool m_have_head = false;
  http::BodyReader m_body;
  Message m_response;
};

}  // namespace shoal::pool
