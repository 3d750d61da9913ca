// libFuzzer target: the control API's request handling (query strings,
// percent-decoding, JSON bodies of /v1/scale, instance targets of /v1/logs)
// on random input. A pool with two services and no instance (nothing is
// spawned: the pool is stopping from the start). Must never crash; every answer is a
// status with a JSON body.
#include <stddef.h>
#include <stdint.h>

#include <string>

#include "control_api.hpp"
#include "event_loop.hpp"
#include "pool_metrics.hpp"
#include "supervisor.hpp"

using namespace shoal::pool;

namespace {

struct World {
  std::unique_ptr<EventLoop> loop = EventLoop::create().value();
  std::unique_ptr<PoolMetrics> metrics = PoolMetrics::create().value();
  shoal::pool::spec::Spec spec;
  std::unique_ptr<Supervisor> supervisor;
  std::unique_ptr<ControlApi> api;
  World() {
    SupervisorConfig c;
    c.vmm_path = "/nonexistent";
    for (const char* name : {"alpha", "beta"}) {
      shoal::pool::spec::Service s;
      s.name = name;
      s.image_path = "/nonexistent";
      spec.services.push_back(s);
    }
    supervisor = std::make_unique<Supervisor>(*loop, spec, c, *metrics);
    api = std::make_unique<ControlApi>(*supervisor, PoolInfo{"fuzz", "", "", "", "", 1}, [] {});
    // Stopping: a valid scale request is parsed in full, then refused (409)
    // instead of spawning monitors.
    supervisor->shutdown(std::chrono::nanoseconds(1), [] {});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World w;
  std::string in(reinterpret_cast<const char*>(data), size);
  // First byte: which call; then query and body split at the first NUL.
  static const char* const kPaths[] = {"/v1/status", "/v1/logs", "/v1/scale", "/v1/nope"};
  const char* path = kPaths[size ? static_cast<uint8_t>(in[0]) % 4 : 0];
  std::string rest = size ? in.substr(1) : "";
  size_t nul = rest.find('\0');
  std::string query = rest.substr(0, nul);
  std::string body = nul == std::string::npos ? "" : rest.substr(nul + 1);
  for (const char* method : {"GET", "POST"}) {
    ApiResponse r = w.api->handle(ApiRequest{method, path, query, body});
    if (r.status < 200 || r.status > 599 || r.body.empty()) __builtin_trap();
  }
  query_param(query, "instance");
  return 0;
}
