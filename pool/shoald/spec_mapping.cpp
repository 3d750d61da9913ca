#include "spec_mapping.hpp"

#include <limits.h>
#include <stdlib.h>

namespace shoal::pool {

namespace {

uint64_t ns(policy::Duration d) { return d.count() < 0 ? 0 : static_cast<uint64_t>(d.count()); }

std::string absolute(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf)) return buf;
  return path;  // missing: the supervisor's start() names it
}

}  // namespace

SupervisorConfig supervisor_config(const spec::Spec& spec, const std::string& vmm_path, bool verbose) {
  SupervisorConfig out;
  out.vmm_path = vmm_path;
  out.verbose = verbose;
  out.retry_budget = spec.gateway.retry_budget;
  // A request may take request_timeout; draining waits that long, then a little.
  out.drain_timeout_ns = ns(spec.gateway.request_timeout) + 5'000'000'000ull;
  for (const spec::Service& s : spec.services) {
    ServiceConfig c;
    c.name = s.name;
    c.image = absolute(s.image_path);
    c.port = s.port;
    c.memory = s.memory;
    c.args = s.args;
    c.env = s.env;
    c.balancer.kind = s.balance;
    c.balancer.hash_key = s.hash_key;
    c.balancer.max_concurrency = s.max_concurrency;
    if (s.hash_key.source == policy::HashKey::Source::header) c.hash_header = s.hash_key.header_name;
    c.weight = s.weight;
    c.max_queue = s.queue;
    c.queue_timeout_ns = ns(s.queue_timeout);
    c.channel_slots = s.channel_slots;
    if (s.health) c.health = HealthProbeConfig{s.health->path, s.health->config};
    c.passive_health = s.passive_health;
    c.autoscale = s.autoscale;
    c.min_instances = s.min_instances;
    c.max_instances = s.max_instances;
    c.initial_instances = s.initial_instances;
    c.restart = s.restart;
    c.retryable = s.retryable;
    c.where = spec.where("services." + s.name);
    out.services.push_back(std::move(c));
  }
  return out;
}

GatewayConfig gateway_config(const spec::Spec& spec) {
  GatewayConfig g;
  const spec::Gateway& in = spec.gateway;
  g.listen_host = in.listen.host == "localhost" ? "127.0.0.1" : in.listen.host;
  g.listen_port = in.listen.port;
  g.max_header_bytes = in.max_header_bytes;
  g.max_body_bytes = in.max_body_bytes;
  g.header_timeout_ns = ns(in.header_timeout);
  g.body_timeout_ns = ns(in.body_timeout);
  g.idle_timeout_ns = ns(in.idle_timeout);
  g.request_timeout_ns = ns(in.request_timeout);
  g.hold_timeout_ns = ns(in.hold_timeout);
  g.max_held = in.max_held;
  g.max_connections = in.max_connections;
  for (const spec::Route& r : spec.routes) {
    RouteConfig rc;
    rc.host = r.host.value_or("");
    rc.path_prefix = r.path;
    switch (r.kind) {
      case spec::RouteKind::service: rc.kind = RouteConfig::Kind::service; break;
      case spec::RouteKind::pipeline: rc.kind = RouteConfig::Kind::pipeline; break;
      case spec::RouteKind::fanout: rc.kind = RouteConfig::Kind::fanout; break;
      case spec::RouteKind::scatter: rc.kind = RouteConfig::Kind::scatter; break;
    }
    rc.services = r.services;
    rc.strip_prefix = r.strip_prefix;
    rc.retryable = r.retryable.value_or(false);
    rc.timeout_ns = r.timeout ? ns(*r.timeout) : 0;
    g.routes.push_back(std::move(rc));
  }
  return g;
}

}  // namespace shoal::pool
