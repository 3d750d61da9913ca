// FakeGuest: plays the guest side of a real Channel inside the test process
// (the region's memfd mapped a second time), speaking just enough HTTP/1.1 to
// answer the gateway: a listener on one port, keep-alive, Content-Length
// bodies. It lets the gateway's routing, compositions, retries and limits be
// tested over the real channel protocol without booting a VM.
#pragma once

#include <stdint.h>

#include <functional>
#include <map>
#include <string>

#include "shoal/abi/channel_ops.h"

namespace shoal::pool {
class Channel;
}

namespace shoal::pool::testing {

struct Reply {
  int status = 200;
  std::string body;
  bool reset = false;      // abort the connection instead of answering
  bool no_answer = false;  // swallow the request (the gateway must time out)
};

class FakeGuest {
 public:
  using Handler = std::function<Reply(const std::string& method, const std::string& target, const std::string& body)>;

  FakeGuest(Channel& ch, uint16_t port, Handler handler);
  ~FakeGuest();
  FakeGuest(const FakeGuest&) = delete;
  FakeGuest& operator=(const FakeGuest&) = delete;

  void listen();
  void unlisten();
  // One pass over every slot: accept, read, answer, close. True if it did anything.
  bool step();

  // Guest-opened connection (connect() to service index `service`): returns
  // the slot, or -1. send()/received() move bytes on it.
  int connect(uint32_t service, uint16_t port);
  bool connected(int slot) const;
  bool refused(int slot) const;
  void send(int slot, const std::string& bytes);
  std::string received(int slot);
  void close(int slot);

  uint64_t requests() const { return m_requests; }

 private:
  struct Conn {
    std::string in;
    bool closing = false;
  };
  bool serve(uint32_t slot, Conn& c);
  void release(uint32_t slot);

  abi::ChannelView m_view{};
  void* m_base = nullptr;
  uint64_t m_size = 0;
  uint16_t m_port;
  Handler m_handler;
  std::map<uint32_t, Conn> m_conns;  // accepted host-opened slots
  std::map<int, std::string> m_out;  // guest-opened slots: bytes received
  uint64_t m_requests = 0;
};

}  // namespace shoal::pool::testing
