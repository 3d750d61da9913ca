#include "spec_mapping.hpp"

#include <gtest/gtest.h>

namespace shoal::pool {
namespace {

spec::Spec parse(const std::string& text) {
  auto p = spec::parse_spec(text, "/srv/pool/shop.toml", spec::SpecEnvironment{"/run/user/5", 5});
  EXPECT_TRUE(p.errors.empty()) << spec::format_errors(p.errors);
  return *p.spec;
}

TEST(SpecMapping, ServicesBecomeSupervisorConfig) {
  spec::Spec s = parse(R"(
[gateway]
request_timeout = "7s"
[services.cart]
image = "cart.shoal"
port = 9000
memory = "64M"
balance = "hash"
hash_key = "header:X-User"
max_concurrency = 8
queue = 3
queue_timeout = "250ms"
health = { path = "/up", interval = "2s", rise = 1, fall = 4 }
env = { B = "2", A = "1" }
args = ["--x"]
[services.web]
image = "web.shoal"
min_instances = 0
max_instances = 5
initial = 0
autoscale = { target = 3, scale_to_zero_after = "5s" }
retryable = true
)");
  SupervisorConfig c = supervisor_config(s, "/opt/shoal-vmm", true);
  EXPECT_EQ(c.vmm_path, "/opt/shoal-vmm");
  EXPECT_TRUE(c.verbose);
  EXPECT_EQ(c.drain_timeout_ns, 12'000'000'000ull);  // request_timeout + 5 s
  ASSERT_EQ(c.services.size(), 2u);
  const ServiceConfig& cart = c.services[0];
  EXPECT_EQ(cart.name, "cart");
  EXPECT_EQ(cart.image, "/srv/pool/cart.shoal");  // resolved next to the spec (absent here: kept as is)
  EXPECT_EQ(cart.port, 9000);
  EXPECT_EQ(cart.memory, 64u << 20);
  EXPECT_EQ(cart.balancer.kind, policy::BalanceKind::hash);
  EXPECT_EQ(cart.hash_header, "X-User");
  EXPECT_EQ(cart.balancer.max_concurrency, 8u);
  EXPECT_EQ(cart.max_queue, 3u);
  EXPECT_EQ(cart.queue_timeout_ns, 250'000'000u);
  ASSERT_TRUE(cart.health.has_value());
  EXPECT_EQ(cart.health->path, "/up");
  EXPECT_EQ(cart.health->config.fall, 4u);
  EXPECT_FALSE(cart.autoscale.has_value());
  EXPECT_EQ(cart.args, std::vector<std::string>{"--x"});
  ASSERT_EQ(cart.env.size(), 2u);
  EXPECT_EQ(cart.env[0].first, "A");
  EXPECT_NE(cart.where.find("shop.toml:"), std::string::npos) << cart.where;
  const ServiceConfig& web = c.services[1];
  ASSERT_TRUE(web.autoscale.has_value());
  EXPECT_EQ(web.autoscale->min_instances, 0u);
  EXPECT_EQ(web.autoscale->max_instances, 5u);
  EXPECT_EQ(web.initial_instances, 0u);
  EXPECT_TRUE(web.retryable);
  EXPECT_TRUE(web.hash_header.empty());
}

TEST(SpecMapping, RoutesBecomeGatewayConfig) {
  spec::Spec s = parse(R"(
[gateway]
listen = "localhost:8181"
max_held = 7
[services.a]
image = "a.shoal"
[services.b]
image = "b.shoal"
[[routes]]
host = "Shop.Local"
path = "/p"
pipeline = ["a", "b"]
timeout = "3s"
[[routes]]
path = "/"
service = "a"
strip_prefix = true
retryable = true
)");
  GatewayConfig g = gateway_config(s);
  EXPECT_EQ(g.listen_host, "127.0.0.1");
  EXPECT_EQ(g.listen_port, 8181);
  EXPECT_EQ(g.max_held, 7u);
  ASSERT_EQ(g.routes.size(), 2u);
  EXPECT_EQ(g.routes[0].host, "shop.local");
  EXPECT_EQ(g.routes[0].kind, RouteConfig::Kind::pipeline);
  EXPECT_EQ(g.routes[0].services, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(g.routes[0].timeout_ns, 3'000'000'000u);
  EXPECT_FALSE(g.routes[0].retryable);
  EXPECT_EQ(g.routes[1].host, "");
  EXPECT_TRUE(g.routes[1].strip_prefix);
  EXPECT_TRUE(g.routes[1].retryable);
}

}  // namespace
}  // namespace shoal::pool
