// HealthProbe: one active health check of an instance, an HTTP GET of the
// service's health path over a host-opened channel slot, exactly as the
// gateway would send a request. 2xx and 3xx answers are healthy; anything
// else (refused, reset, a malformed answer, 4xx/5xx) is not. The supervisor
// enforces the timeout by destroying the probe.
#pragma once

#include <stdint.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <shoal/pool/http/message.hpp>
#include <shoal/pool/http/response_parser.hpp>

#include "model.hpp"
#include "shoal/base/result.hpp"

namespace shoal::pool {

class HealthProbe final : public SlotHandler {
 public:
  // ok, and why not (for the log). Called at most once, from the channel
  // poll; the probe must not be destroyed inside the callback (defer it).
  using Done = std::function<void(bool ok, std::string why)>;

  // Opens the slot and sends the request. Error when no slot is free.
  static Result<std::unique_ptr<HealthProbe>> start(Instance& instance, std::string_view path, Done done);
  ~HealthProbe() override;

  void on_slot_event() override;
  void on_instance_gone() override;

 private:
  HealthProbe(Instance& instance, uint32_t slot, Done done);
  void finish(bool ok, std::string why);
  void release_slot();

  Instance* m_instance;
  uint32_t m_slot;
  bool m_slot_open = true;
  Done m_done;
  std::string m_in;
  http::ResponseParser m_parser;
  http::ResponseHead m_head;
};

}  // namespace shoal::pool
