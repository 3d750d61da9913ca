// Router discovery (RFC 4861 6.3) and stateless address autoconfiguration
// (RFC 4862) for a host: Router Solicitations at start (at most 3, 4 s
// apart, until an advertisement arrives), a default router from each
// Router Advertisement with a non-zero lifetime (off-link peers are sent
// through it), and, when no static address was given (`--ip6` absent or
// `--ip6 auto`), a global address from the first /64 prefix with the A flag:
// the prefix and the EUI-64 interface id of the MAC, as Linux forms it by
// default. Not done: duplicate address detection, more than one router or
// address, lifetimes of the address, the advertised MTU, hop limit and
// reachable time.
#include "inet/checksum.hpp"
#include "inet/ethernet.hpp"
#include "inet/ipv6.hpp"
#include "inet/ipv6_peers.hpp"
#include "inet/stack.hpp"

namespace libos::inet {
namespace {

constexpr uint8_t kRouterSolicit = 133, kNdHopLimit = 255;
constexpr uint8_t kOptSourceMac = 1, kOptPrefix = 3;
constexpr uint8_t kMaxSolicits = 3;
constexpr uint64_t kSolicitInterval = 4'000'000'000;  // RTR_SOLICITATION_INTERVAL
constexpr uint64_t kSecond = 1'000'000'000;

const uint8_t kAllRouters[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
const uint8_t kAllRoutersMac[6] = {0x33, 0x33, 0, 0, 0, 2};

bool link_local(const uint8_t* a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }

void solicit_router(Stack& s) {
  uint8_t rs[16] = {};
  rs[0] = kRouterSolicit;
  rs[8] = kOptSourceMac;
  rs[9] = 1;
  memcpy(rs + 10, s.config().mac, 6);
  uint8_t ll[16];
  ip6_link_local(s.config().mac, ll);
  ip6_send_icmp(s, kAllRoutersMac, ll, kAllRouters, kNdHopLimit, rs, sizeof(rs));
}

void set_router(Stack& s, uint32_t standin, uint64_t expires) {
  Ip6Peers& peers = *s.ip6_peers();
  Ip6Peers::Router& r = peers.router();
  if (r.standin != standin) {
    if (r.standin != 0) peers.unpin(r.standin);
    if (standin != 0) peers.pin(standin);
    r.standin = standin;
  }
  r.expires = expires;
}

// A Prefix Information option (32 bytes at o): SLAAC when it has the A
// flag, a /64 that is not link-local, and we have no global address yet.
void prefix_info(Stack& s, const uint8_t* o) {
  uint8_t prefix_len = o[2];
  bool autonomous = (o[3] & 0x40) != 0;
  uint32_t valid = load32(o + 4), preferred = load32(o + 8);
  const uint8_t* prefix = o + 16;
  if (!autonomous || prefix_len != 64 || valid == 0 || preferred > valid || link_local(prefix) ||
      prefix[0] == 0xff || s.config().ip6_prefix != 0)
    return;
  uint8_t addr[16];
  ip6_link_local(s.config().mac, addr);  // its interface id: EUI-64 of the MAC
  memcpy(addr, prefix, 8);
  s.ip6_configure(addr, 64);
  ++s.stats().ip6_slaac;
}

}  // namespace

void ip6_router_start(Stack& s) {
  Ip6Peers::Router& r = s.ip6_peers()->router();
  r.solicits = 0;
  r.next_solicit = s.now();
}

uint64_t ip6_router_timers(Stack& s) {
  Ip6Peers::Router& r = s.ip6_peers()->router();
  uint64_t now = s.now();
  if (r.next_solicit <= now) {
    solicit_router(s);
    ++r.solicits;
    r.next_solicit = r.solicits < kMaxSolicits ? now + kSolicitInterval : kNever;
  }
  if (r.standin != 0 && r.expires <= now) set_router(s, 0, 0);
  uint64_t next = r.next_solicit;
  if (r.standin != 0 && r.expires < next) next = r.expires;
  return next;
}

void ip6_router_advert(Stack& s, const uint8_t* eth_src, const uint8_t* ip, const uint8_t* msg, size_t len) {
  // RFC 4861 6.1.2: from a link-local address, hop limit 255, code 0, at
  // least 16 bytes, every option of non-zero length within the message.
  if (ip[7] != kNdHopLimit || !link_local(ip + 8) || msg[1] != 0 || len < 16) {
    ++s.stats().rx_bad_ip6;
    return;
  }
  const uint8_t* mac = eth_src;
  for (size_t o = 16; o < len;) {
    if (o + 2 > len || msg[o + 1] == 0 || o + size_t{msg[o + 1]} * 8 > len) {
      ++s.stats().rx_bad_ip6;
      return;
    }
    if (msg[o] == kOptSourceMac && msg[o + 1] == 1) mac = msg + o + 2;
    o += size_t{msg[o + 1]} * 8;
  }
  Ip6Peers& peers = *s.ip6_peers();
  Ip6Peers::Router& r = peers.router();
  r.next_solicit = kNever;  // answered: no more solicitations
  uint16_t lifetime = load16(msg + 6);
  uint32_t id = peers.standin_of(ip + 8, lifetime != 0);
  if (id != 0) ip6_learn(s, id, mac);
  if (lifetime != 0) set_router(s, id, s.now() + lifetime * kSecond);
  else if (id != 0 && r.standin == id) set_router(s, 0, 0);
  for (size_t o = 16; o < len; o += size_t{msg[o + 1]} * 8)
    if (msg[o] == kOptPrefix && msg[o + 1] == 4) prefix_info(s, msg + o);
  s.touch_deadline();
}

}  // namespace libos::inet
