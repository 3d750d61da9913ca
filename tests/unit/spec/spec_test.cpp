// Good specs: every key lands in the model; defaults where keys are absent.
#include <gtest/gtest.h>

#include "spec_test.h"

using namespace shoal::pool::spec;
using namespace shoal::pool::policy;
using namespace std::chrono_literals;
using spec_test::kEnv;
using spec_test::line_of;

namespace {

// The example of docs/spec.md (keep them the same).
constexpr std::string_view kShop = R"(# shop.toml: three services behind one gateway.
name = "shop"

[gateway]
listen = "127.0.0.1:8080"
admin = "127.0.0.1:9090"
max_body_bytes = "1M"
request_timeout = "10s"
hold_timeout = "5s"
max_held = 256
retry_budget = { ratio = 0.2, min_per_second = 3, window = "10s" }

[services.catalog]
image = "catalog.shoal"
port = 8080
memory = "64M"
min_instances = 2
max_instances = 8
balance = "least_time"
health = { path = "/healthz", interval = "1s", timeout = "500ms", rise = 2, fall = 3 }
autoscale = { target = 10, stable_window = "60s", panic_window = "6s", panic_threshold = 2.0 }

[services.cart]
image = "cart.shoal"
balance = "hash"
hash_key = "header:X-User"
max_concurrency = 32
queue = 100
queue_timeout = "2s"
passive_health = { errors = 3, cooldown = "5s" }
restart = { initial = "20ms", max = "5s", reset_after = "30s" }
args = ["--items", "1000"]
env = { LOG = "info", CART_TTL = "30m" }

[services.render]
image = "bin/render.shoal"
min_instances = 0
max_instances = 4
autoscale = { target = 5, scale_to_zero_after = "30s" }
retryable = true

[[routes]]
path = "/api/catalog"
service = "catalog"
strip_prefix = true

[[routes]]
host = "Shop.Local"
path = "/page"
pipeline = ["catalog", "render"]
timeout = "5s"

[[routes]]
path = "/overview"
fanout = ["catalog", "cart"]

[[routes]]
path = "/render-many"
scatter = "render"
retryable = true
)";

Spec parse_ok(std::string_view text, std::string_view file = "/srv/shop/shop.toml") {
  SpecParse p = parse_spec(text, file, kEnv);
  EXPECT_TRUE(p.errors.empty()) << format_errors(p.errors);
  EXPECT_TRUE(p.spec.has_value());
  return p.spec ? *p.spec : Spec{};
}

}  // namespace

TEST(Spec, ShopExampleGateway) {
  Spec s = parse_ok(kShop);
  EXPECT_EQ(s.file, "/srv/shop/shop.toml");
  EXPECT_EQ(s.name, "shop");
  const Gateway& g = s.gateway;
  EXPECT_EQ(g.listen, (Endpoint{"127.0.0.1", 8080}));
  ASSERT_TRUE(g.admin);
  EXPECT_EQ(*g.admin, (Endpoint{"127.0.0.1", 9090}));
  EXPECT_EQ(g.control, "/run/user/1000/shoal/shop.sock");
  EXPECT_EQ(g.max_body_bytes, 1u << 20);
  EXPECT_EQ(g.max_header_bytes, 16u << 10);  // default
  EXPECT_EQ(g.request_timeout, 10s);
  EXPECT_EQ(g.header_timeout, 10s);  // default
  EXPECT_EQ(g.hold_timeout, 5s);
  EXPECT_EQ(g.max_held, 256u);
  EXPECT_DOUBLE_EQ(g.retry_budget.ratio, 0.2);
  EXPECT_DOUBLE_EQ(g.retry_budget.min_per_second, 3);
  EXPECT_EQ(g.retry_budget.window, 10s);
}

TEST(Spec, ShopExampleServices) {
  Spec s = parse_ok(kShop);
  ASSERT_EQ(s.services.size(), 3u);
  EXPECT_EQ(s.services[0].name, "cart");  // sorted by name
  EXPECT_EQ(s.services[1].name, "catalog");
  EXPECT_EQ(s.services[2].name, "render");

  const Service& catalog = *s.find_service("catalog");
  EXPECT_EQ(catalog.image, "catalog.shoal");
  EXPECT_EQ(catalog.image_path, "/srv/shop/catalog.shoal");
  EXPECT_EQ(catalog.port, 8080);
  EXPECT_EQ(catalog.memory, 64u << 20);
  EXPECT_EQ(catalog.min_instances, 2u);
  EXPECT_EQ(catalog.max_instances, 8u);
  EXPECT_EQ(catalog.initial_instances, 2u);  // defaults to min_instances
  EXPECT_EQ(catalog.balance, BalanceKind::least_time);
  ASSERT_TRUE(catalog.health);
  EXPECT_EQ(catalog.health->path, "/healthz");
  EXPECT_EQ(catalog.health->config.interval, 1s);
  EXPECT_EQ(catalog.health->config.timeout, 500ms);
  EXPECT_EQ(catalog.health->config.rise, 2u);
  EXPECT_EQ(catalog.health->config.fall, 3u);
  ASSERT_TRUE(catalog.autoscale);
  EXPECT_DOUBLE_EQ(catalog.autoscale->target, 10);
  EXPECT_EQ(catalog.autoscale->stable_window, 60s);
  EXPECT_EQ(catalog.autoscale->panic_window, 6s);
  EXPECT_DOUBLE_EQ(catalog.autoscale->panic_threshold, 2.0);
  EXPECT_EQ(catalog.autoscale->min_instances, 2u);  // copied from the service
  EXPECT_EQ(catalog.autoscale->max_instances, 8u);
  EXPECT_EQ(catalog.autoscale->initial_instances, 2u);
  EXPECT_FALSE(catalog.retryable);

  const Service& cart = *s.find_service("cart");
  EXPECT_EQ(cart.balance, BalanceKind::hash);
  EXPECT_EQ(cart.hash_key.source, HashKey::Source::header);
  EXPECT_EQ(cart.hash_key.header_name, "X-User");
  EXPECT_EQ(cart.max_concurrency, 32u);
  EXPECT_EQ(cart.queue, 100u);
  EXPECT_EQ(cart.queue_timeout, 2s);
  EXPECT_EQ(cart.passive_health.max_errors, 3u);
  EXPECT_EQ(cart.passive_health.cooldown, 5s);
  EXPECT_EQ(cart.restart.initial, 20ms);
  EXPECT_EQ(cart.restart.max, 5s);
  EXPECT_EQ(cart.restart.reset_after, 30s);
  EXPECT_EQ(cart.args, (std::vector<std::string>{"--items", "1000"}));
  using Env = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(cart.env, (Env{{"CART_TTL", "30m"}, {"LOG", "info"}}));  // sorted
  EXPECT_FALSE(cart.health);
  EXPECT_FALSE(cart.autoscale);
  EXPECT_EQ(cart.min_instances, 1u);  // defaults
  EXPECT_EQ(cart.max_instances, 10u);
  EXPECT_EQ(cart.port, 8080);
  EXPECT_EQ(cart.memory, 0u);

  const Service& render = *s.find_service("render");
  EXPECT_EQ(render.image_path, "/srv/shop/bin/render.shoal");
  EXPECT_EQ(render.min_instances, 0u);
  EXPECT_EQ(render.initial_instances, 0u);
  ASSERT_TRUE(render.autoscale);
  EXPECT_DOUBLE_EQ(render.autoscale->target, 5);
  EXPECT_EQ(render.autoscale->scale_to_zero_after, 30s);
  EXPECT_EQ(render.autoscale->stable_window, 60s);  // default
  EXPECT_TRUE(render.retryable);
  EXPECT_EQ(s.find_service("nope"), nullptr);
}

TEST(Spec, ShopExampleRoutes) {
  Spec s = parse_ok(kShop);
  ASSERT_EQ(s.routes.size(), 4u);
  const Route& api = s.routes[0];
  EXPECT_EQ(api.kind, RouteKind::service);
  EXPECT_EQ(api.path, "/api/catalog");
  EXPECT_FALSE(api.host);
  EXPECT_EQ(api.services, std::vector<std::string>{"catalog"});
  EXPECT_TRUE(api.strip_prefix);
  EXPECT_FALSE(api.retryable);
  EXPECT_FALSE(api.timeout);
  EXPECT_EQ(api.line, line_of(kShop, "[[routes]]"));

  const Route& page = s.routes[1];
  EXPECT_EQ(page.kind, RouteKind::pipeline);
  EXPECT_EQ(page.host, "shop.local");  // lower-cased
  EXPECT_EQ(page.services, (std::vector<std::string>{"catalog", "render"}));
  EXPECT_EQ(page.timeout, 5s);

  EXPECT_EQ(s.routes[2].kind, RouteKind::fanout);
  EXPECT_EQ(s.routes[2].services, (std::vector<std::string>{"catalog", "cart"}));
  EXPECT_EQ(s.routes[3].kind, RouteKind::scatter);
  EXPECT_EQ(s.routes[3].services, std::vector<std::string>{"render"});
  EXPECT_EQ(s.routes[3].retryable, true);
  EXPECT_EQ(route_kind_name(RouteKind::scatter), "scatter");
}

TEST(Spec, KeepsLinesForLaterErrors) {
  Spec s = parse_ok(kShop);
  EXPECT_EQ(s.line_of("services.cart.hash_key"), line_of(kShop, "hash_key"));
  EXPECT_EQ(s.line_of("services.render"), line_of(kShop, "[services.render]"));
  EXPECT_EQ(s.line_of("routes[1].pipeline"), line_of(kShop, "pipeline ="));
  EXPECT_EQ(s.line_of("services.cart.nothing"), 0u);
  EXPECT_EQ(s.where("services.render.image"),
            "/srv/shop/shop.toml:" + std::to_string(line_of(kShop, "bin/render.shoal")) + ": services.render.image");
}

TEST(Spec, WarmFirstWithItsLoad) {
  Spec s = parse_ok("[services.hello]\nimage = \"/images/hello.shoal\"\nbalance = \"warm_first\"\nwarm_load = 3\n",
                    "hello.toml");
  EXPECT_EQ(s.services[0].balance, BalanceKind::warm_first);
  EXPECT_EQ(s.services[0].warm_load, 3u);
}

TEST(Spec, MinimalSpecTakesEveryDefault) {
  Spec s = parse_ok("[services.hello]\nimage = \"/images/hello.shoal\"\n", "hello.toml");
  EXPECT_EQ(s.name, "hello");  // from the file name
  EXPECT_EQ(s.gateway.listen, (Endpoint{"127.0.0.1", 8080}));
  EXPECT_FALSE(s.gateway.admin);
  EXPECT_EQ(s.gateway.control, "/run/user/1000/shoal/hello.sock");
  EXPECT_EQ(s.gateway.max_header_bytes, 16u << 10);
  EXPECT_EQ(s.gateway.max_body_bytes, 8u << 20);
  EXPECT_EQ(s.gateway.idle_timeout, 60s);
  EXPECT_EQ(s.gateway.max_held, 1024u);
  EXPECT_EQ(s.gateway.max_connections, 0u);  // derived from the descriptor limit
  ASSERT_EQ(s.services.size(), 1u);
  const Service& h = s.services[0];
  EXPECT_EQ(h.image_path, "/images/hello.shoal");
  EXPECT_EQ(h.min_instances, 1u);
  EXPECT_EQ(h.max_instances, 10u);
  EXPECT_EQ(h.initial_instances, 1u);
  EXPECT_EQ(h.balance, BalanceKind::round_robin);
  EXPECT_EQ(h.warm_load, 8u);
  EXPECT_EQ(h.weight, 1u);
  EXPECT_EQ(h.max_concurrency, 0u);
  EXPECT_EQ(h.queue, 128u);
  EXPECT_EQ(h.queue_timeout, 5s);
  EXPECT_EQ(h.channel_slots, 256u);
  EXPECT_EQ(h.passive_health.max_errors, 5u);
  EXPECT_EQ(h.passive_health.cooldown, 10s);
  EXPECT_EQ(h.restart.initial, 10ms);
  EXPECT_EQ(h.restart.max, 10s);
  EXPECT_EQ(h.start, StartMode::snapshot);
  EXPECT_EQ(h.snapshot_path, "");
  EXPECT_EQ(h.warm, 1u);
  EXPECT_EQ(h.ready, "port:8080");
  EXPECT_TRUE(s.routes.empty());
}

TEST(Spec, StartKeys) {
  Spec s = parse_ok(R"([services.a]
image = "a.shoal"
port = 9000
warm = 4
ready = "listen"
[services.b]
image = "b.shoal"
start = "boot"
[services.c]
image = "c.shoal"
port = 7000
snapshot = "snaps/c.snap"
warm = 0
)");
  ASSERT_EQ(s.services.size(), 3u);
  EXPECT_EQ(s.services[0].start, StartMode::snapshot);
  EXPECT_EQ(s.services[0].warm, 4u);
  EXPECT_EQ(s.services[0].ready, "listen");
  EXPECT_EQ(s.services[1].start, StartMode::boot);
  EXPECT_EQ(s.services[1].warm, 0u);  // nothing to keep warm without a snapshot
  EXPECT_EQ(s.services[2].snapshot_path, "/srv/shop/snaps/c.snap");
  EXPECT_EQ(s.services[2].warm, 0u);
  EXPECT_EQ(s.services[2].ready, "port:7000");
}

TEST(Spec, ConnectionLimitAndChannelSlots) {
  Spec s = parse_ok("[gateway]\nmax_connections = 5000\n[services.hello]\nimage = \"/h.shoal\"\nchannel_slots = 64\n",
                    "hello.toml");
  EXPECT_EQ(s.gateway.max_connections, 5000u);
  EXPECT_EQ(s.services[0].channel_slots, 64u);
}

TEST(Spec, PoolNameFromAnOddFileName) {
  EXPECT_EQ(parse_ok("[services.a]\nimage = \"a\"\n", "dir/My Pool.v2.toml").name, "my-pool-v2");
}

TEST(Spec, ControlPathDefaultsAndResolves) {
  SpecParse p = parse_spec("[services.a]\nimage = \"a\"\n", "x.toml", SpecEnvironment{"", 42});
  ASSERT_TRUE(p.spec);
  EXPECT_EQ(p.spec->gateway.control, "/tmp/shoal-42/x.sock");
  Spec s = parse_ok("[gateway]\ncontrol = \"run/ctl.sock\"\n[services.a]\nimage = \"a\"\n", "/etc/pools/x.toml");
  EXPECT_EQ(s.gateway.control, "/etc/pools/run/ctl.sock");
  EXPECT_EQ(s.services[0].image_path, "/etc/pools/a");
}

TEST(Spec, SizesAsIntegersAndIpv6) {
  Spec s = parse_ok(
      "[gateway]\nlisten = \"[::1]:8443\"\nmax_header_bytes = 8192\n"
      "[services.a]\nimage = \"a\"\nmemory = 33554432\nweight = 3\nbalance = \"weighted\"\n");
  EXPECT_EQ(s.gateway.listen, (Endpoint{"::1", 8443}));
  EXPECT_EQ(s.gateway.max_header_bytes, 8192u);
  EXPECT_EQ(s.services[0].memory, 32u << 20);
  EXPECT_EQ(s.services[0].weight, 3u);
}

TEST(Spec, RouteWithHostPortAndDefaultPath) {
  Spec s = parse_ok("[services.a]\nimage = \"a\"\n[[routes]]\nhost = \"api.example.com:8080\"\nservice = \"a\"\n");
  ASSERT_EQ(s.routes.size(), 1u);
  EXPECT_EQ(s.routes[0].host, "api.example.com:8080");
  EXPECT_EQ(s.routes[0].path, "/");
}
