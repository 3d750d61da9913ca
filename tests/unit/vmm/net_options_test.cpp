// The network device's options: TAP names, addresses, CIDR, MAC, gateway
// rules and --net-impair, alone and through shoal-vmm's parser.
#include <arpa/inet.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "devices/net/net_options.hpp"
#include "devices/channel/channel_module.hpp"
#include "devices/net/net_module.hpp"
#include "options.hpp"

using namespace shoal::vmm;

namespace {

uint32_t be(const char* text) { return inet_addr(text); }

TEST(NetOptions, TapSpec) {
  EXPECT_EQ(parse_tap_spec("tap:tap0").value(), "tap0");
  EXPECT_EQ(parse_tap_spec("tap:a23456789012345").value(), "a23456789012345");  // 15 bytes: the limit
  for (const char* bad : {"tap0", "tap:", "tun:tap0", "tap:a234567890123456", "tap:a/b", "tap:a b", "tap:a:b",
                          "tap:.", "tap:..", "tap:a\tb", "TAP:x"})
    EXPECT_FALSE(parse_tap_spec(bad).ok()) << bad;
  EXPECT_NE(parse_tap_spec("tap0").error().message.find("tap:NAME"), std::string::npos);
}

TEST(NetOptions, Ipv4) {
  EXPECT_EQ(parse_ipv4("10.0.0.2").value(), be("10.0.0.2"));
  EXPECT_EQ(parse_ipv4("255.255.255.255").value(), be("255.255.255.255"));
  EXPECT_EQ(parse_ipv4("0.0.0.0").value(), 0u);
  for (const char* bad : {"", "10.0.0", "10.0.0.2.1", "10.0.0.256", "10.0.0.-1", "10.0.0.02", "10..0.1", "a.b.c.d",
                          "10.0.0.2 ", " 10.0.0.2", "1000.0.0.1", "10.0.0.2/24"})
    EXPECT_FALSE(parse_ipv4(bad).ok()) << bad;
}

TEST(NetOptions, Cidr) {
  auto c = parse_cidr("10.0.0.2/24").value();
  EXPECT_EQ(c.addr, be("10.0.0.2"));
  EXPECT_EQ(c.prefix, 24);
  EXPECT_EQ(parse_cidr("192.168.1.7/32").value().prefix, 32);
  EXPECT_TRUE(parse_cidr("10.0.0.0/31").ok());  // RFC 3021: both addresses are hosts
  EXPECT_TRUE(parse_cidr("10.0.0.1/8").ok());
  for (const char* bad : {"10.0.0.2", "10.0.0.2/", "10.0.0.2/0", "10.0.0.2/33", "10.0.0.2/x", "10.0.0.2/024",
                          "10.0.0.0/24", "10.0.0.255/24", "127.0.0.1/8", "0.1.2.3/8", "224.0.0.1/24",
                          "240.0.0.1/24", "255.255.255.255/32", "10.0.0.300/24"})
    EXPECT_FALSE(parse_cidr(bad).ok()) << bad;
  EXPECT_NE(parse_cidr("10.0.0.0/24").error().message.find("network"), std::string::npos);
  EXPECT_NE(parse_cidr("10.0.0.255/24").error().message.find("broadcast"), std::string::npos);
  EXPECT_NE(parse_cidr("10.0.0.2").error().message.find("A.B.C.D/N"), std::string::npos);
}

TEST(NetOptions, Mac) {
  auto m = parse_mac("02:aB:0c:DE:f0:01").value();
  EXPECT_EQ(m, (std::array<uint8_t, 6>{0x02, 0xab, 0x0c, 0xde, 0xf0, 0x01}));
  for (const char* bad : {"", "02:00:00:00:00", "02:00:00:00:00:00:00", "02-00-00-00-00-01", "2:00:00:00:00:01",
                          "02:00:00:00:00:0g", "01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00",
                          "02:00:00:00:00:001"})
    EXPECT_FALSE(parse_mac(bad).ok()) << bad;
}

TEST(NetOptions, RandomMacIsLocalUnicast) {
  for (uint64_t r : {0ull, ~0ull, 0x123456789abcull}) {
    auto m = random_mac(r);
    EXPECT_EQ(m[0], 0x02);  // locally administered, unicast
  }
  EXPECT_NE(random_mac(1), random_mac(2));
  EXPECT_EQ(format_mac(random_mac(0x0000050403020100ull)), "02:00:01:02:03:04");
}

TEST(NetOptions, Impair) {
  auto i = parse_impair("loss=5,delay=20,reorder=25").value();
  EXPECT_EQ(i.loss_ppm, 50000u);
  EXPECT_EQ(i.delay_ms, 20u);
  EXPECT_EQ(i.reorder_ppm, 250000u);
  EXPECT_FALSE(i.seed);
  auto j = parse_impair("seed=42,loss=0.5").value();
  EXPECT_EQ(j.loss_ppm, 5000u);
  EXPECT_EQ(j.seed.value(), 42u);
  EXPECT_EQ(parse_impair("loss=100").value().loss_ppm, 1000000u);
  EXPECT_EQ(parse_impair("loss=0.0001").value().loss_ppm, 1u);
  for (const char* bad : {"", "loss", "loss=", "loss=101", "loss=-1", "loss=5%", "loss=1.", "loss=.5",
                          "loss=0.00001", "delay=1.5", "delay=10001", "reorder=200", "jitter=5", "loss=1,loss=2",
                          "loss=1,,delay=2", "seed=x", "loss=1 "})
    EXPECT_FALSE(parse_impair(bad).ok()) << bad;
}

TEST(NetOptions, ConfigNeedsNetAndIp) {
  EXPECT_FALSE(make_net_config({}, 0).value());  // nothing given: no device
  for (NetOptionText t : {NetOptionText{"", "10.0.0.2/24"}, NetOptionText{"", "", "10.0.0.1"},
                          NetOptionText{"", "", "", "02:00:00:00:00:01"}, NetOptionText{"", "", "", "", "loss=1"}}) {
    auto r = make_net_config(t, 0);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("needs --net"), std::string::npos) << r.error().message;
  }
  auto r = make_net_config({"tap:t0"}, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("--ip"), std::string::npos);
}

TEST(NetOptions, ConfigGatewayInsideSubnet) {
  auto c = make_net_config({"tap:t0", "10.1.2.3/24", "10.1.2.1", "", "loss=1"}, 7).value().value();
  EXPECT_EQ(c.tap, "t0");
  EXPECT_EQ(c.ipv4, be("10.1.2.3"));
  EXPECT_EQ(c.prefix, 24);
  EXPECT_EQ(c.gateway, be("10.1.2.1"));
  EXPECT_EQ(c.mac[0], 0x02);
  EXPECT_EQ(c.impair->loss_ppm, 10000u);
  EXPECT_EQ(make_net_config({"tap:t0", "10.1.2.3/24"}, 0).value()->gateway, 0u);
  EXPECT_EQ(make_net_config({"tap:t0", "10.1.2.3/24", "", "02:01:02:03:04:05"}, 0).value()->mac,
            (std::array<uint8_t, 6>{2, 1, 2, 3, 4, 5}));
  for (const char* gw : {"10.1.3.1", "10.1.2.3", "10.1.2.0", "10.1.2.255", "10.1.2", "gateway"}) {
    auto r = make_net_config({"tap:t0", "10.1.2.3/24", gw}, 0);
    EXPECT_FALSE(r.ok()) << gw;
  }
  EXPECT_NE(make_net_config({"tap:t0", "10.1.2.3/24", "10.1.3.1"}, 0).error().message.find("outside the subnet"),
            std::string::npos);
  EXPECT_TRUE(make_net_config({"tap:t0", "10.1.2.3/16", "10.1.3.1"}, 0).ok());
}

ParsedOptions parse(std::vector<std::string> args) {
  std::vector<char*> argv;
  static std::string name = "shoal-vmm";
  argv.push_back(name.data());
  for (auto& a : args) argv.push_back(a.data());
  // The monitor's devices, as main.cpp gets them (all_devices(): every folder).
  return parse_options(static_cast<int>(argv.size()), argv.data(), all_devices());
}

const std::optional<NetConfig>& net_of(const ParsedOptions& p) {
  for (const auto& d : p.devices)
    if (const auto* net = dynamic_cast<const NetModule*>(d.get())) return net->config();
  ADD_FAILURE() << "no net module";
  static const std::optional<NetConfig> kNone;
  return kNone;
}

TEST(NetOptions, ThroughTheMonitorsParser) {
  auto p = parse({"--net", "tap:shoal0", "--ip", "10.0.0.2/24", "--gateway", "10.0.0.1", "--mac", "02:00:00:00:00:09",
                  "--net-impair", "loss=5,delay=20,reorder=25,seed=1", "img.shoal"});
  ASSERT_FALSE(p.exit_status);
  ASSERT_TRUE(net_of(p));
  EXPECT_EQ(net_of(p)->tap, "shoal0");
  EXPECT_EQ(net_of(p)->mac[5], 9);
  EXPECT_EQ(net_of(p)->impair->delay_ms, 20u);
  EXPECT_FALSE(net_of(parse({"img.shoal"})));
  // Usage errors: status 2.
  EXPECT_EQ(parse({"--net", "tap:shoal0", "img"}).exit_status.value_or(0), 2);
  EXPECT_EQ(parse({"--ip", "10.0.0.2/24", "img"}).exit_status.value_or(0), 2);
  EXPECT_EQ(parse({"--net", "eth0", "--ip", "10.0.0.2/24", "img"}).exit_status.value_or(0), 2);
  EXPECT_EQ(parse({"--net", "tap:x", "--ip", "10.0.0.2/24", "--gateway", "10.9.0.1", "img"}).exit_status.value_or(0), 2);
  EXPECT_EQ(parse({"--net", "tap:x", "--ip", "10.0.0.2/24", "--net-impair", "loss=200", "img"}).exit_status.value_or(0),
            2);
}

}  // namespace

namespace shoal::vmm {
namespace {

// --ip6 (issue 11): an IPv6 address a host may own, and its prefix.
TEST(NetOptionsIp6, ParsesAddressAndPrefix) {
  auto c = parse_cidr6("fd00:99::2/64");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->prefix, 64);
  EXPECT_EQ(format_ipv6(c->addr), "fd00:99::2");
  auto full = make_net_config({"tap:t0", "10.0.0.2/24", "", "02:00:00:00:00:01", "", "2001:db8::5/128"}, 1);
  ASSERT_TRUE(full) << full.error().message;
  ASSERT_TRUE(*full);
  EXPECT_EQ((*full)->ipv6_prefix, 128);
  EXPECT_EQ(format_ipv6((*full)->ipv6), "2001:db8::5");
}

// --ip6 auto: no static address (the guest uses SLAAC), as without --ip6.
TEST(NetOptionsIp6, AutoLeavesTheAddressToTheRouters) {
  auto c = make_net_config({"tap:t0", "10.0.0.2/24", "", "02:00:00:00:00:01", "", "auto"}, 1);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(*c);
  EXPECT_EQ((*c)->ipv6_prefix, 0);
  EXPECT_EQ(format_ipv6((*c)->ipv6), "::");
  auto alone = make_net_config({"", "", "", "", "", "auto"}, 1);
  EXPECT_FALSE(alone);
}

TEST(NetOptionsIp6, RefusesWhatAHostCannotOwn) {
  for (const char* bad : {"fd00::2", "fd00::2/0", "fd00::2/129", "fd00::2/x", "/64", "10.0.0.2/24", "::/64",
                          "::1/128", "ff02::1/64", "::ffff:10.0.0.2/96", "fe80::1/64", "fd00::zz/64"}) {
    auto c = parse_cidr6(bad);
    EXPECT_FALSE(c) << bad;
    if (!c) {
      EXPECT_NE(c.error().message.find("--ip6"), std::string::npos) << c.error().message;
    }
  }
  auto alone = make_net_config({"", "", "", "", "", "fd00::2/64"}, 1);
  ASSERT_FALSE(alone);
  EXPECT_NE(alone.error().message.find("--ip6 needs --net"), std::string::npos) << alone.error().message;
}

}  // namespace
}  // namespace shoal::vmm
