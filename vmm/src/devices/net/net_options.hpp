// The network device's command line: `--net tap:NAME --ip A.B.C.D/N
// [--gateway A.B.C.D] [--mac xx:xx:xx:xx:xx:xx] [--net-impair SPEC]`.
//
// Pure parsing and validation (unit-tested in tests/unit/vmm/net_options_test):
// every error names the option and says what is expected. Addresses are kept
// in network byte order, as BootInfo carries them.
#pragma once

#include <stdint.h>

#include <array>
#include <optional>
#include <string>

#include <shoal/base/result.hpp>

namespace shoal::vmm {

// --net-impair loss=P,delay=MS,reorder=P[,seed=N] (a test aid: this host
// kernel has no sch_netem). Applied to frames going to the guest, as netem
// on the TAP device's egress would: each frame is dropped with probability
// loss_ppm / 1e6; the others are held delay_ms, except a reorder_ppm share
// that goes at once (netem's reorder: those overtake the held ones).
struct NetImpair {
  uint32_t loss_ppm = 0;     // parts per million (P% * 10^4)
  uint32_t delay_ms = 0;
  uint32_t reorder_ppm = 0;
  std::optional<uint64_t> seed;  // default: random
  bool operator==(const NetImpair&) const = default;
};

struct NetConfig {
  std::string tap;                 // the TAP device's name
  std::array<uint8_t, 6> mac{};    // the guest's MAC
  uint32_t ipv4 = 0;               // network byte order
  uint8_t prefix = 0;              // 1..32
  uint32_t gateway = 0;            // network byte order, 0: none
  std::array<uint8_t, 16> ipv6{};  // --ip6: the static IPv6 address
  uint8_t ipv6_prefix = 0;         // 1..128; 0: no --ip6
  std::optional<NetImpair> impair;
};

// The raw option strings; empty = not given.
struct NetOptionText {
  std::string net, ip, gateway, mac, impair, ip6;
};

// "tap:NAME" -> NAME: a valid Linux interface name (1..15 bytes, no '/',
// ':' or whitespace, not "." or "..").
Result<std::string> parse_tap_spec(const std::string& text);
// "A.B.C.D" -> address in network byte order. Four decimal octets, no
// leading zeros beyond "0", nothing else.
Result<uint32_t> parse_ipv4(const std::string& text);
struct Cidr {
  uint32_t addr = 0;  // network byte order
  uint8_t prefix = 0;
};
// "A.B.C.D/N", N in 1..32; the address must be usable by a host (not
// 0.0.0.0/8, loopback, multicast or reserved, not the subnet's network or
// broadcast address for N <= 30).
Result<Cidr> parse_cidr(const std::string& text);
struct Cidr6 {
  std::array<uint8_t, 16> addr{};
  uint8_t prefix = 0;
};
// "ADDR/N" (inet_pton's IPv6 forms), N in 1..128; the address must be a
// unicast one a host may own (not ::, ::1, multicast, v4-mapped, nor
// link-local: the guest forms its own from the MAC).
Result<Cidr6> parse_cidr6(const std::string& text);
// "xx:xx:xx:xx:xx:xx" (hex, either case); unicast only.
Result<std::array<uint8_t, 6>> parse_mac(const std::string& text);
// A random locally administered unicast MAC: 02:xx:xx:xx:xx:xx.
std::array<uint8_t, 6> random_mac(uint64_t random);
// "loss=P,delay=MS,reorder=P[,seed=N]" (any subset, in any order, each at
// most once; P a percentage 0..100 with up to 4 decimals).
Result<NetImpair> parse_impair(const std::string& text);

// Everything together: nullopt when no network option was given; an error
// when some were given without --net, --net without --ip, a gateway outside
// the subnet or equal to the address, ... `random` seeds the default MAC.
Result<std::optional<NetConfig>> make_net_config(const NetOptionText& text, uint64_t random);

// "10.0.0.2" for messages.
std::string format_ipv4(uint32_t addr_be);
std::string format_mac(const std::array<uint8_t, 6>& mac);
std::string format_ipv6(const std::array<uint8_t, 16>& addr);

}  // namespace shoal::vmm
