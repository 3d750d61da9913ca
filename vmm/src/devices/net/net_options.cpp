#include "net_options.hpp"

#include <arpa/inet.h>
#include <ctype.h>
#include <net/if.h>
#include <stdio.h>

#include <string>
#include <vector>

namespace shoal::vmm {
namespace {

uint32_t host_order(uint32_t be) { return ntohl(be); }
uint32_t mask_of(uint8_t prefix) { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t at = text.find(sep, start);
    out.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

// A decimal number of at most max_digits digits, nothing else.
std::optional<uint64_t> parse_decimal(const std::string& s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// "12.5" -> 125000 ppm (a percentage with up to 4 decimals, at most 100).
std::optional<uint32_t> parse_percent_ppm(const std::string& s) {
  size_t dot = s.find('.');
  std::string whole = s.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  if (dot != std::string::npos && frac.empty()) return std::nullopt;
  if (frac.size() > 4) return std::nullopt;
  auto w = parse_decimal(whole, 3);
  if (!w) return std::nullopt;
  uint64_t f = 0;
  if (!frac.empty()) {
    auto parsed = parse_decimal(frac, 4);
    if (!parsed) return std::nullopt;
    f = *parsed;
    for (size_t i = frac.size(); i < 4; ++i) f *= 10;
  }
  uint64_t ppm = *w * 10000 + f;
  if (ppm > 1000000) return std::nullopt;
  return static_cast<uint32_t>(ppm);
}

// Whether a host may own this address (host byte order).
const char* unusable_reason(uint32_t a) {
  if ((a >> 24) == 0) return "is in 0.0.0.0/8 (\"this network\")";
  if ((a >> 24) == 127) return "is a loopback address";
  if ((a >> 28) == 0xe) return "is a multicast address";
  if ((a >> 28) == 0xf) return "is a reserved or broadcast address";
  return nullptr;
}

}  // namespace

std::string format_ipv4(uint32_t addr_be) {
  uint32_t a = host_order(addr_be);
  char buf[16];
  snprintf(buf, sizeof buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
  return buf;
}

std::string format_mac(const std::array<uint8_t, 6>& m) {
  char buf[18];
  snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

Result<std::string> parse_tap_spec(const std::string& text) {
  if (text.rfind("tap:", 0) != 0) return make_error("--net " + text + ": expected tap:NAME (a TAP device)");
  std::string name = text.substr(4);
  if (name.empty() || name.size() >= IFNAMSIZ)
    return make_error("--net " + text + ": a device name has 1 to " + std::to_string(IFNAMSIZ - 1) + " bytes");
  if (name == "." || name == "..") return make_error("--net " + text + ": not a valid device name");
  for (unsigned char c : name) {
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
      return make_error("--net " + text + ": a device name has no '/', ':', spaces or control characters");
  }
  return name;
}

Result<uint32_t> parse_ipv4(const std::string& text) {
  auto parts = split(text, '.');
  if (parts.size() != 4) return make_error("'" + text + "' is not an IPv4 address A.B.C.D");
  uint32_t a = 0;
  for (const auto& p : parts) {
    auto v = parse_decimal(p, 3);
    if (!v || *v > 255 || (p.size() > 1 && p[0] == '0'))
      return make_error("'" + text + "' is not an IPv4 address A.B.C.D");
    a = (a << 8) | static_cast<uint32_t>(*v);
  }
  return htonl(a);
}

Result<Cidr> parse_cidr(const std::string& text) {
  size_t slash = text.find('/');
  if (slash == std::string::npos)
    return make_error("--ip " + text + ": expected A.B.C.D/N (the address and its prefix length)");
  auto addr = parse_ipv4(text.substr(0, slash));
  if (!addr) return make_error("--ip " + addr.error().message);
  auto prefix = parse_decimal(text.substr(slash + 1), 2);
  if (!prefix || *prefix < 1 || *prefix > 32)
    return make_error("--ip " + text + ": the prefix length must be 1..32");
  uint32_t a = host_order(*addr);
  if (const char* why = unusable_reason(a)) return make_error("--ip " + text + ": the address " + why);
  uint32_t mask = mask_of(static_cast<uint8_t>(*prefix));
  if (*prefix <= 30 && ((a & ~mask) == 0 || (a & ~mask) == ~mask))
    return make_error("--ip " + text + ": that is the subnet's " +
                      ((a & ~mask) == 0 ? "network" : "broadcast") + " address, not a host's");
  return Cidr{*addr, static_cast<uint8_t>(*prefix)};
}

Result<std::array<uint8_t, 6>> parse_mac(const std::string& text) {
  auto parts = split(text, ':');
  std::array<uint8_t, 6> mac{};
  bool ok = parts.size() == 6;
  for (size_t i = 0; ok && i < 6; ++i) {
    const auto& p = parts[i];
    ok = p.size() == 2 && isxdigit(static_cast<unsigned char>(p[0])) && isxdigit(static_cast<unsigned char>(p[1]));
    if (ok) mac[i] = static_cast<uint8_t>(std::stoul(p, nullptr, 16));
  }
  if (!ok) return make_error("--mac " + text + ": expected xx:xx:xx:xx:xx:xx (six hex bytes)");
  if (mac[0] & 1) return make_error("--mac " + text + ": a multicast address cannot be an interface's");
  if (mac == std::array<uint8_t, 6>{}) return make_error("--mac " + text + ": the all-zero address is not valid");
  return mac;
}

std::array<uint8_t, 6> random_mac(uint64_t random) {
  std::array<uint8_t, 6> mac{};
  mac[0] = 0x02;  // locally administered, unicast
  for (int i = 1; i < 6; ++i) mac[i] = static_cast<uint8_t>(random >> (8 * (i - 1)));
  return mac;
}

Result<NetImpair> parse_impair(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return make_error("--net-impair " + text + ": " + why +
                      " (expected loss=P,delay=MS,reorder=P[,seed=N]; P in percent)");
  };
  if (text.empty()) return bad("empty");
  NetImpair out;
  bool seen[4] = {};
  for (const auto& item : split(text, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos) return bad("'" + item + "' is not KEY=VALUE");
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    int index = key == "loss" ? 0 : key == "delay" ? 1 : key == "reorder" ? 2 : key == "seed" ? 3 : -1;
    if (index < 0) return bad("unknown key '" + key + "'");
    if (seen[index]) return bad("'" + key + "' given twice");
    seen[index] = true;
    if (index == 0 || index == 2) {
      auto ppm = parse_percent_ppm(value);
      if (!ppm) return bad(key + "=" + value + " is not a percentage in [0, 100]");
      (index == 0 ? out.loss_ppm : out.reorder_ppm) = *ppm;
    } else if (index == 1) {
      auto ms = parse_decimal(value, 5);
      if (!ms || *ms > 10000) return bad("delay=" + value + " is not a number of milliseconds in [0, 10000]");
      out.delay_ms = static_cast<uint32_t>(*ms);
    } else {
      auto seed = parse_decimal(value, 19);
      if (!seed) return bad("seed=" + value + " is not a decimal number");
      out.seed = *seed;
    }
  }
  return out;
}

Result<Cidr6> parse_cidr6(const std::string& text) {
  size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0)
    return make_error("--ip6 " + text + ": expected ADDR/N (an IPv6 address and its prefix length)");
  std::string addr = text.substr(0, slash);
  auto n = parse_decimal(text.substr(slash + 1), 3);
  if (!n || *n < 1 || *n > 128) return make_error("--ip6 " + text + ": the prefix length must be 1..128");
  Cidr6 c;
  if (inet_pton(AF_INET6, addr.c_str(), c.addr.data()) != 1)
    return make_error("--ip6 " + text + ": '" + addr + "' is not an IPv6 address");
  const auto& a = c.addr;
  bool zero_head = true;
  for (int i = 0; i < 10; ++i) zero_head = zero_head && a[i] == 0;
  bool unspecified = zero_head && a[10] == 0 && a[11] == 0 && a[12] == 0 && a[13] == 0 && a[14] == 0;
  if (unspecified && (a[15] == 0 || a[15] == 1))
    return make_error("--ip6 " + text + ": the address is the unspecified or the loopback address");
  if (a[0] == 0xff) return make_error("--ip6 " + text + ": the address is a multicast address");
  if (zero_head && a[10] == 0xff && a[11] == 0xff)
    return make_error("--ip6 " + text + ": the address is an IPv4-mapped address");
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
    return make_error("--ip6 " + text + ": the address is link-local (the guest forms its own from the MAC)");
  c.prefix = static_cast<uint8_t>(*n);
  return c;
}

std::string format_ipv6(const std::array<uint8_t, 16>& addr) {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, addr.data(), buf, sizeof buf) == nullptr) return "?";
  return buf;
}

Result<std::optional<NetConfig>> make_net_config(const NetOptionText& t, uint64_t random) {
  if (t.net.empty()) {
    const char* given = !t.ip.empty() ? "--ip" : !t.gateway.empty() ? "--gateway" : !t.mac.empty() ? "--mac"
                        : !t.impair.empty() ? "--net-impair" : !t.ip6.empty() ? "--ip6" : nullptr;
    if (given) return make_error(std::string(given) + " needs --net tap:NAME");
    return std::optional<NetConfig>{};
  }
  NetConfig c;
  c.tap = TRY(parse_tap_spec(t.net));
  if (t.ip.empty()) return make_error("--net needs --ip A.B.C.D/N: the guest's address and subnet");
  Cidr cidr = TRY(parse_cidr(t.ip));
  c.ipv4 = cidr.addr;
  c.prefix = cidr.prefix;
  if (!t.gateway.empty()) {
    auto gw = parse_ipv4(t.gateway);
    if (!gw) return make_error("--gateway " + gw.error().message);
    uint32_t g = host_order(*gw), a = host_order(c.ipv4), mask = mask_of(c.prefix);
    if ((g & mask) != (a & mask))
      return make_error("--gateway " + t.gateway + " is outside the subnet of --ip " + t.ip);
    if (g == a) return make_error("--gateway " + t.gateway + " is the guest's own address");
    if (c.prefix <= 30 && ((g & ~mask) == 0 || (g & ~mask) == ~mask))
      return make_error("--gateway " + t.gateway + " is the subnet's network or broadcast address");
    c.gateway = *gw;
  }
  c.mac = t.mac.empty() ? random_mac(random) : TRY(parse_mac(t.mac));
  if (!t.impair.empty()) c.impair = TRY(parse_impair(t.impair));
  // "auto": no static address; the guest forms one from the routers'
  // advertisements (SLAAC), as it does without --ip6.
  if (!t.ip6.empty() && t.ip6 != "auto") {
    Cidr6 c6 = TRY(parse_cidr6(t.ip6));
    c.ipv6 = c6.addr;
    c.ipv6_prefix = c6.prefix;
  }
  return std::optional<NetConfig>{c};
}

}  // namespace shoal::vmm
