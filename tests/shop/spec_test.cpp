// The shop's pool spec and bench/pool's generated specs are valid for the
// spec reader shoald uses, and say what the README and the benchmark claim.
#include <gtest/gtest.h>

#include <fstream>
#include <shoal/pool/spec/spec.hpp>
#include <sstream>

#include "pool_shoal.hpp"

using namespace shoal::pool::spec;
using shoal::pool::policy::BalanceKind;

namespace {

SpecParse parse(const std::string& text, const std::string& file) {
  return parse_spec(text, file, SpecEnvironment{"/run/user/0", 0});
}

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

const Route* route(const Spec& spec, const std::string& path) {
  for (auto& r : spec.routes)
    if (r.path == path) return &r;
  return nullptr;
}

TEST(ShopSpec, ParsesWithoutErrors) {
  SpecParse p = parse(read(SHOP_SOURCE_DIR "/shop.toml"), "/x/shop.toml");
  ASSERT_TRUE(p.errors.empty()) << format_errors(p.errors);
  const Spec& s = *p.spec;
  EXPECT_EQ(s.gateway.listen.port, 8080);
  ASSERT_EQ(s.services.size(), 3u);
  const Service* catalog = s.find_service("catalog");
  const Service* cart = s.find_service("cart");
  const Service* render = s.find_service("render");
  ASSERT_TRUE(catalog && cart && render);
  EXPECT_EQ(catalog->image_path, "/x/catalog.shoal");  // next to the spec, as the build tree has it
  EXPECT_EQ(catalog->balance, BalanceKind::p2c);
  EXPECT_TRUE(catalog->autoscale.has_value());
  // Carts live in memory: one instance, never scaled.
  EXPECT_EQ(cart->min_instances, 1u);
  EXPECT_EQ(cart->max_instances, 1u);
  EXPECT_FALSE(cart->autoscale.has_value());
  // render scales to zero and finds the others by name.
  EXPECT_EQ(render->min_instances, 0u);
  ASSERT_TRUE(render->autoscale.has_value());
  EXPECT_EQ(render->autoscale->scale_to_zero_after, std::chrono::seconds(30));
  EXPECT_EQ(render->env, (std::vector<std::pair<std::string, std::string>>{{"CART_ADDR", "cart:8080"},
                                                                           {"CATALOG_ADDR", "catalog:8080"}}));
  for (auto* svc : {catalog, cart, render}) {
    ASSERT_TRUE(svc->health.has_value()) << svc->name;
    EXPECT_EQ(svc->health->path, "/healthz");
  }
}

TEST(ShopSpec, RoutesUseEveryComposition) {
  SpecParse p = parse(read(SHOP_SOURCE_DIR "/shop.toml"), "/x/shop.toml");
  ASSERT_TRUE(p.spec) << format_errors(p.errors);
  const Spec& s = *p.spec;
  struct Want {
    const char* path;
    RouteKind kind;
    std::vector<std::string> services;
  };
  for (const Want& w : {Want{"/api/catalog", RouteKind::service, {"catalog"}},
                        Want{"/api/cart", RouteKind::service, {"cart"}},
                        Want{"/page", RouteKind::service, {"render"}},
                        Want{"/api/checkout", RouteKind::pipeline, {"cart", "render"}},
                        Want{"/api/overview", RouteKind::fanout, {"catalog", "cart"}},
                        Want{"/api/prices", RouteKind::scatter, {"catalog"}}}) {
    const Route* r = route(s, w.path);
    ASSERT_NE(r, nullptr) << w.path;
    EXPECT_EQ(r->kind, w.kind) << w.path;
    EXPECT_EQ(r->services, w.services) << w.path;
    // The services match on their endpoint segment, so no route strips its prefix.
    EXPECT_FALSE(r->strip_prefix) << w.path;
  }
  EXPECT_EQ(s.routes.size(), 6u);
}

TEST(BenchPoolSpec, FixedInstances) {
  shoal::bench::pool::HelloPool pool{"/tmp/b", "/tmp/b/hello.shoal", 18080, 19090, 4};
  SpecParse p = parse(shoal::bench::pool::hello_spec(pool), "/tmp/b/hello-pool.toml");
  ASSERT_TRUE(p.errors.empty()) << format_errors(p.errors);
  const Service* hello = p.spec->find_service("hello");
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->min_instances, 4u);
  EXPECT_EQ(hello->max_instances, 4u);
  EXPECT_EQ(hello->initial_instances, 4u);
  EXPECT_FALSE(hello->autoscale.has_value());
  EXPECT_EQ(hello->balance, BalanceKind::round_robin);
  EXPECT_EQ(hello->image_path, "/tmp/b/hello.shoal");
  EXPECT_EQ(p.spec->gateway.listen.port, 18080);
  ASSERT_TRUE(p.spec->gateway.admin.has_value());
  EXPECT_EQ(p.spec->gateway.admin->port, 19090);
  EXPECT_EQ(p.spec->gateway.control, "/tmp/b/control.sock");
  ASSERT_EQ(p.spec->routes.size(), 1u);
  EXPECT_EQ(p.spec->routes[0].path, "/");
}

TEST(BenchPoolSpec, ScaleToZero) {
  shoal::bench::pool::HelloPool pool{"/tmp/b", "/tmp/b/hello.shoal", 18080, 19090, 0, true, "1s"};
  SpecParse p = parse(shoal::bench::pool::hello_spec(pool), "/tmp/b/hello-cold.toml");
  ASSERT_TRUE(p.errors.empty()) << format_errors(p.errors);
  const Service* hello = p.spec->find_service("hello");
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->min_instances, 0u);
  EXPECT_EQ(hello->initial_instances, 0u);
  ASSERT_TRUE(hello->autoscale.has_value());
  EXPECT_EQ(hello->autoscale->scale_to_zero_after, std::chrono::seconds(1));
}

}  // namespace
