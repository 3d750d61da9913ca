// inject: hostile and half-finished traffic for the guest's stack, sent as raw
// Ethernet frames on the host end of the link (an AF_PACKET socket bound to
// the TAP or veth device INSIDE the test's network namespace: nothing else
// can see these frames).
//
//   inject IFACE GUEST_IP PORT malformed        every malformed frame below, then a ping
//   inject IFACE GUEST_IP PORT synflood N RATE  N SYNs from random 10.99.0.x sources/ports
//   inject IFACE GUEST_IP PORT halfopen N       N handshakes, each then silent forever
//   inject IFACE GUEST_IP PORT mss0             a handshake with MSS 0, then a request
//
// The frames come from made-up hosts on the guest's /24 (MAC 02:00:00:00:99:HH
// for 10.99.0.HH, HH never .1 or .2): the tool answers the guest's ARP
// requests for them, and the namespace's kernel ignores frames addressed to
// those MACs, so it never resets connections it does not know. Exit status 0
// when everything was sent (and, where a reply is expected, received); the
// test asserts the guest's health with ping and curl, not with this tool.
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<uint8_t>;

int g_sock = -1;
int g_ifindex = 0;
uint8_t g_guest_mac[6];
uint32_t g_guest_ip = 0;  // network order
uint16_t g_port = 0;
uint32_t g_net = 0;        // network order, /24 of the guest
uint64_t g_rng = 0x9e3779b97f4a7c15ull;
long g_sent = 0;

uint32_t rnd() {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return static_cast<uint32_t>(g_rng >> 16);
}

double now() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9;
}

// A made-up host: 10.99.0.H (H in 3..254), MAC 02:00:00:00:99:H.
struct Fake {
  uint32_t ip;
  uint8_t mac[6];
};
Fake fake(uint8_t host) {
  Fake f;
  f.ip = htonl((ntohl(g_net) & 0xffffff00u) | host);
  const uint8_t mac[6] = {0x02, 0, 0, 0, 0x99, host};
  memcpy(f.mac, mac, 6);
  return f;
}
bool is_fake(uint32_t ip) {
  uint32_t h = ntohl(ip);
  return (h & 0xffffff00u) == (ntohl(g_net) & 0xffffff00u) && (h & 0xff) >= 3 && (h & 0xff) <= 254 &&
         ip != g_guest_ip;
}

uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (; n > 1; p += 2, n -= 2) s += uint32_t{p[0]} << 8 | p[1];
  if (n) s += uint32_t{p[0]} << 8;
  return s;
}
uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s & 0xffff);
}
void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }
void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}

Bytes eth(const uint8_t* dst, const uint8_t* src, uint16_t type) {
  Bytes f(14);
  memcpy(f.data(), dst, 6);
  memcpy(f.data() + 6, src, 6);
  put16(f.data() + 12, type);
  return f;
}

// An IPv4 header (20 bytes, valid checksum) for `payload` bytes.
Bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, size_t payload, uint16_t id = 0, uint16_t frag = 0x4000) {
  Bytes h(20);
  h[0] = 0x45;
  put16(&h[2], static_cast<uint16_t>(20 + payload));
  put16(&h[4], id ? id : static_cast<uint16_t>(rnd()));
  put16(&h[6], frag);
  h[8] = 64;
  h[9] = proto;
  memcpy(&h[12], &src, 4);
  memcpy(&h[16], &dst, 4);
  put16(&h[10], fold(sum16(h.data(), 20)));
  return h;
}
void ip_recsum(uint8_t* ip) {
  put16(ip + 10, 0);
  put16(ip + 10, fold(sum16(ip, (ip[0] & 15) * 4u)));
}

// Transport checksum over the pseudo header.
uint16_t l4sum(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t* seg, size_t n) {
  uint8_t ph[12];
  memcpy(ph, &src, 4);
  memcpy(ph + 4, &dst, 4);
  ph[8] = 0;
  ph[9] = proto;
  put16(ph + 10, static_cast<uint16_t>(n));
  return fold(sum16(seg, n, sum16(ph, 12)));
}

// A TCP segment (header with `opts`, then data), checksummed.
Bytes tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
          const Bytes& opts = {}, const std::string& data = {}) {
  size_t hl = 20 + ((opts.size() + 3) & ~size_t{3});
  Bytes s(hl + data.size());
  put16(&s[0], sport);
  put16(&s[2], dport);
  put32(&s[4], seq);
  put32(&s[8], ack);
  s[12] = static_cast<uint8_t>((hl / 4) << 4);
  s[13] = flags;
  put16(&s[14], 65535);
  memcpy(&s[20], opts.data(), opts.size());
  memcpy(&s[hl], data.data(), data.size());
  put16(&s[16], l4sum(src, dst, 6, s.data(), s.size()));
  return s;
}

Bytes udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const std::string& data) {
  Bytes s(8 + data.size());
  put16(&s[0], sport);
  put16(&s[2], dport);
  put16(&s[4], static_cast<uint16_t>(s.size()));
  memcpy(&s[8], data.data(), data.size());
  uint16_t c = l4sum(src, dst, 17, s.data(), s.size());
  put16(&s[6], c ? c : 0xffff);
  return s;
}

Bytes icmp_echo(uint16_t id, uint16_t seq, size_t payload) {
  Bytes s(8 + payload);
  s[0] = 8;
  put16(&s[4], id);
  put16(&s[6], seq);
  for (size_t i = 0; i < payload; ++i) s[8 + i] = static_cast<uint8_t>(i);
  put16(&s[2], fold(sum16(s.data(), s.size())));
  return s;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void send_frame(const Bytes& f) {
  Bytes frame = f;
  if (frame.size() < 1) return;
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = g_ifindex;
  to.sll_halen = 6;
  memcpy(to.sll_addr, frame.data(), 6);
  for (int tries = 0; tries < 50; ++tries) {
    if (sendto(g_sock, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) >= 0) {
      ++g_sent;
      return;
    }
    if (errno != ENOBUFS && errno != EAGAIN) {
      fprintf(stderr, "inject: sendto (%zu bytes): %s\n", frame.size(), strerror(errno));
      return;
    }
    usleep(1000);  // the device queue is full: let the other side drain it
  }
}

// Frame from a fake host to the guest carrying an IPv4 packet.
Bytes to_guest(const Fake& f, const Bytes& ip_packet) { return cat({eth(g_guest_mac, f.mac, 0x0800), ip_packet}); }

void answer_arp(const uint8_t* p, size_t n) {
  if (n < 42 || get16(p + 12) != 0x0806 || get16(p + 20) != 1) return;
  uint32_t target;
  memcpy(&target, p + 38, 4);
  if (!is_fake(target)) return;
  Fake f = fake(static_cast<uint8_t>(ntohl(target) & 0xff));
  Bytes r = eth(p + 6, f.mac, 0x0806);
  r.resize(42);
  const uint8_t hdr[8] = {0, 1, 8, 0, 6, 4, 0, 2};
  memcpy(&r[14], hdr, 8);
  memcpy(&r[22], f.mac, 6);
  memcpy(&r[28], &target, 4);
  memcpy(&r[32], p + 22, 10);  // the asker's MAC and IP
  send_frame(r);
}

// Reads frames for up to `seconds`, answering ARP for fake hosts; returns
// true as soon as `want` accepts one.
template <typename F>
bool receive(double seconds, F want) {
  double end = now() + seconds;
  uint8_t buf[2048];
  while (true) {
    double left = end - now();
    pollfd p{g_sock, POLLIN, 0};
    int r = poll(&p, 1, left > 0 ? static_cast<int>(left * 1000) + 1 : 0);
    if (r <= 0) return false;
    sockaddr_ll from{};
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(g_sock, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &fl);
    if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING) continue;
    answer_arp(buf, static_cast<size_t>(n));
    if (want(buf, static_cast<size_t>(n))) return true;
  }
}
void drain_arp(double seconds) {
  receive(seconds, [](const uint8_t*, size_t) { return false; });
}

bool resolve_guest() {
  Fake me = fake(201);
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  Bytes req = eth(bcast, me.mac, 0x0806);
  req.resize(42);
  const uint8_t hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};
  memcpy(&req[14], hdr, 8);
  memcpy(&req[22], me.mac, 6);
  memcpy(&req[28], &me.ip, 4);
  memcpy(&req[38], &g_guest_ip, 4);
  for (int i = 0; i < 5; ++i) {
    send_frame(req);
    bool ok = receive(1.0, [](const uint8_t* p, size_t n) {
      if (n < 42 || get16(p + 12) != 0x0806 || get16(p + 20) != 2 || memcmp(p + 28, &g_guest_ip, 4) != 0)
        return false;
      memcpy(g_guest_mac, p + 22, 6);
      return true;
    });
    if (ok) return true;
  }
  return false;
}

// The guest's IPv4 packet to `f`, if frame p is one: returns the IP header.
const uint8_t* from_guest(const uint8_t* p, size_t n, const Fake& f, uint8_t proto) {
  if (n < 34 || get16(p + 12) != 0x0800 || memcmp(p, f.mac, 6) != 0) return nullptr;
  const uint8_t* ip = p + 14;
  size_t ihl = (ip[0] & 15) * 4u;
  if (ihl < 20 || n < 14 + ihl + 20 || ip[9] != proto || memcmp(ip + 16, &f.ip, 4) != 0) return nullptr;
  return ip;
}

// Pings from fake host `f` with `payload` bytes, fragmented into pieces of
// `frag` bytes (0 = not fragmented), sent in reverse order when `reverse`.
bool ping(const Fake& f, size_t payload, size_t frag, bool reverse) {
  uint16_t id = static_cast<uint16_t>(rnd());
  Bytes msg = icmp_echo(id, 1, payload);
  std::vector<Bytes> frames;
  if (frag == 0) {
    frames.push_back(to_guest(f, cat({ipv4(f.ip, g_guest_ip, 1, msg.size()), msg})));
  } else {
    uint16_t ipid = static_cast<uint16_t>(rnd() | 1);
    for (size_t off = 0; off < msg.size(); off += frag) {
      size_t len = msg.size() - off < frag ? msg.size() - off : frag;
      bool more = off + len < msg.size();
      Bytes piece(msg.begin() + static_cast<long>(off), msg.begin() + static_cast<long>(off + len));
      frames.push_back(to_guest(
          f, cat({ipv4(f.ip, g_guest_ip, 1, len, ipid, static_cast<uint16_t>((more ? 0x2000 : 0) | off / 8)), piece})));
    }
  }
  if (reverse) std::reverse(frames.begin(), frames.end());
  for (const auto& fr : frames) send_frame(fr);
  return receive(3.0, [&](const uint8_t* p, size_t n) {
    const uint8_t* ip = from_guest(p, n, f, 1);
    if (!ip) return false;
    const uint8_t* ic = ip + (ip[0] & 15) * 4u;
    return ic[0] == 0 && get16(ic + 4) == id;
  });
}

// ---- malformed -----------------------------------------------------------

void malformed() {
  Fake f = fake(202);
  uint32_t src = f.ip, dst = g_guest_ip;
  int before = static_cast<int>(g_sent);
  auto send_ip = [&](Bytes ip) { send_frame(to_guest(f, ip)); };
  Bytes hello = icmp_echo(7, 7, 56);
  // Ethernet: a bare header, one byte of IPv4, unknown and IPv6/VLAN types,
  // truncated ARP, bad ARP sizes. (Frames shorter than the 14-byte header
  // cannot be sent: AF_PACKET refuses them with EINVAL.)
  send_frame(eth(g_guest_mac, f.mac, 0x0800));
  send_frame(cat({eth(g_guest_mac, f.mac, 0x0800), Bytes(1, 0x45)}));
  send_frame(cat({eth(g_guest_mac, f.mac, 0x1234), Bytes(46, 0)}));
  send_frame(cat({eth(g_guest_mac, f.mac, 0x86dd), Bytes(40, 0)}));
  send_frame(cat({eth(g_guest_mac, f.mac, 0x8100), Bytes(46, 0)}));
  send_frame(cat({eth(g_guest_mac, f.mac, 0x0806), Bytes(10, 0)}));
  {
    Bytes arp = cat({eth(g_guest_mac, f.mac, 0x0806), Bytes(28, 0)});
    const uint8_t bad[8] = {0, 1, 8, 0, 0, 0, 0, 1};  // hlen = plen = 0
    memcpy(&arp[14], bad, 8);
    send_frame(arp);
    arp[18] = 6, arp[19] = 4, arp[21] = 99;  // unknown operation
    send_frame(arp);
    arp[21] = 1, arp[18] = 200;  // hlen past the frame
    send_frame(arp);
  }
  // IPv4: truncated, wrong version, IHL too small / past the data, total
  // length lies (too long, shorter than the header, zero), bad checksum.
  Bytes good = cat({ipv4(src, dst, 1, hello.size()), hello});
  send_ip(Bytes(good.begin(), good.begin() + 10));
  for (uint8_t first : {0x65, 0x05, 0x44, 0x43, 0x40, 0x4f, 0x46}) {
    Bytes b = good;
    b[0] = first;
    ip_recsum(b.data());
    send_ip(b);
  }
  for (uint16_t total : {uint16_t{0}, uint16_t{10}, uint16_t{19}, uint16_t{21}, uint16_t{1400}, uint16_t{65535}}) {
    Bytes b = good;
    put16(&b[2], total);
    ip_recsum(b.data());
    send_ip(b);
  }
  {
    Bytes b = good;
    b[10] ^= 0x55;  // bad header checksum
    send_ip(b);
    b = good;
    b[9] = 99;  // unknown protocol
    ip_recsum(b.data());
    send_ip(b);
    b = good;
    b[8] = 0;  // TTL 0
    ip_recsum(b.data());
    send_ip(b);
    b = good;  // from a broadcast and from a multicast source
    memset(&b[12], 0xff, 4);
    ip_recsum(b.data());
    send_ip(b);
    b[12] = 224, b[13] = 0, b[14] = 0, b[15] = 1;
    ip_recsum(b.data());
    send_ip(b);
    b = good;  // options: IHL 6 with an option of length 0
    b.insert(b.begin() + 20, {0x07, 0x00, 0x00, 0x00});
    b[0] = 0x46;
    put16(&b[2], static_cast<uint16_t>(b.size()));
    ip_recsum(b.data());
    send_ip(b);
  }
  // ICMP: truncated, bad checksum, unknown type, an error quoting garbage.
  {
    Bytes ic = hello;
    send_ip(cat({ipv4(src, dst, 1, 3), Bytes(ic.begin(), ic.begin() + 3)}));
    ic[2] ^= 1;
    send_ip(cat({ipv4(src, dst, 1, ic.size()), ic}));
    Bytes odd(8, 0);
    odd[0] = 42;
    put16(&odd[2], fold(sum16(odd.data(), 8)));
    send_ip(cat({ipv4(src, dst, 1, 8), odd}));
    Bytes unreach(8 + 8, 0xee);
    unreach[0] = 3, unreach[1] = 3, unreach[2] = unreach[3] = 0;
    put16(&unreach[2], fold(sum16(unreach.data(), unreach.size())));
    send_ip(cat({ipv4(src, dst, 1, unreach.size()), unreach}));
  }
  // UDP: truncated header, length field longer / shorter than the data, bad
  // checksum, zero checksum (valid: none), to a closed port.
  {
    Bytes u = udp(src, dst, 5000, 9, "hostile udp");
    send_ip(cat({ipv4(src, dst, 17, 5), Bytes(u.begin(), u.begin() + 5)}));
    for (uint16_t len : {uint16_t{0}, uint16_t{7}, uint16_t{200}, uint16_t{65535}}) {
      Bytes b = u;
      put16(&b[4], len);
      send_ip(cat({ipv4(src, dst, 17, b.size()), b}));
    }
    Bytes b = u;
    b[6] ^= 0x5a;
    send_ip(cat({ipv4(src, dst, 17, b.size()), b}));
    b = u;
    b[6] = b[7] = 0;
    send_ip(cat({ipv4(src, dst, 17, b.size()), b}));
  }
  // TCP, to the listening port and to a closed one: truncated, data offset
  // below 5 and past the segment, bad checksum, flag combinations, options.
  for (uint16_t port : {g_port, uint16_t{1}}) {
    uint16_t sport = static_cast<uint16_t>(20000 + rnd() % 20000);
    Bytes syn = tcp(src, dst, sport, port, rnd(), 0, 0x02);
    send_ip(cat({ipv4(src, dst, 6, 12), Bytes(syn.begin(), syn.begin() + 12)}));
    for (uint8_t off : {0x00, 0x40, 0xf0}) {
      Bytes b = syn;
      b[12] = off;
      put16(&b[16], 0);
      put16(&b[16], l4sum(src, dst, 6, b.data(), b.size()));
      send_ip(cat({ipv4(src, dst, 6, b.size()), b}));
    }
    Bytes b = syn;
    b[16] ^= 0x33;
    send_ip(cat({ipv4(src, dst, 6, b.size()), b}));
    for (uint8_t flags : {0x03, 0x06, 0x07, 0x00, 0xff, 0x3f, 0x01, 0x04, 0x20, 0x29, 0x12, 0x10, 0x18}) {
      Bytes t = tcp(src, dst, static_cast<uint16_t>(sport + 1), port, rnd(), rnd(), flags, {}, flags & 0x08 ? "x" : "");
      send_ip(cat({ipv4(src, dst, 6, t.size()), t}));
    }
    const Bytes bad_opts[] = {
        {2, 0, 0, 0},               // MSS with length 0
        {2, 1, 0, 0},               // length 1
        {2, 10, 5, 0xb4},           // length past the header
        {3, 3, 200, 0},             // window scale 200
        {2, 4, 0, 0},               // MSS 0
        {8, 10, 0, 0, 0, 1, 0, 0},  // timestamp, truncated by the header end
        {5, 2, 0, 0},               // SACK block of length 2
        {4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2},
        {255, 255, 1, 1},           // unknown kind, length past the header
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    };
    for (const auto& o : bad_opts) {
      Bytes t = tcp(src, dst, static_cast<uint16_t>(sport + 2 + (rnd() % 1000)), port, rnd(), 0, 0x02, o);
      send_ip(cat({ipv4(src, dst, 6, t.size()), t}));
    }
  }
  // Fragments: overlapping, past 65535, a zero-length and an odd-sized middle
  // fragment, duplicates, and 200 first fragments that never complete.
  {
    Bytes big = icmp_echo(9, 9, 1200);
    uint16_t id = static_cast<uint16_t>(rnd());
    send_ip(cat({ipv4(src, dst, 1, 600, id, 0x2000), Bytes(big.begin(), big.begin() + 600)}));
    send_ip(cat({ipv4(src, dst, 1, 600, id, 0x2000 | 40), Bytes(big.begin() + 320, big.begin() + 920)}));
    send_ip(cat({ipv4(src, dst, 1, 600, id, 0x2000 | 40), Bytes(big.begin() + 300, big.begin() + 900)}));
    send_ip(cat({ipv4(src, dst, 1, 100, id, 0x1fff), Bytes(100, 0xab)}));       // 65528 + 100 > 65535
    send_ip(cat({ipv4(src, dst, 1, 1400, id, 0x2000 | 0x1fd0), Bytes(1400, 1)}));  // likewise, with MF
    send_ip(cat({ipv4(src, dst, 1, 0, id, 0x2000 | 10), Bytes()}));
    send_ip(cat({ipv4(src, dst, 1, 13, id, 0x2000 | 100), Bytes(13, 2)}));
    send_ip(cat({ipv4(src, dst, 1, 600, id, 0x2000), Bytes(big.begin(), big.begin() + 600)}));
    for (int i = 0; i < 200; ++i)
      send_ip(cat({ipv4(src, dst, 1, 512, static_cast<uint16_t>(rnd()), 0x2000), Bytes(512, 3)}));
    for (int i = 0; i < 50; ++i)  // the same, for TCP and UDP
      send_ip(cat({ipv4(src, dst, static_cast<uint8_t>(i % 2 ? 6 : 17), 256, static_cast<uint16_t>(rnd()), 0x2000),
                   Bytes(256, 4)}));
  }
  printf("inject: malformed: %d frames sent\n", static_cast<int>(g_sent) - before);
}

// ---- TCP handshakes from fake hosts --------------------------------------

struct Handshake {
  uint32_t iss = 0, irs = 0;
  uint16_t sport = 0;
  bool ok = false;
};

Handshake handshake(const Fake& f, const Bytes& opts) {
  Handshake h;
  h.sport = static_cast<uint16_t>(30000 + rnd() % 30000);
  h.iss = rnd();
  Bytes syn = tcp(f.ip, g_guest_ip, h.sport, g_port, h.iss, 0, 0x02, opts);
  for (int tries = 0; tries < 3 && !h.ok; ++tries) {
    send_frame(to_guest(f, cat({ipv4(f.ip, g_guest_ip, 6, syn.size()), syn})));
    h.ok = receive(1.5, [&](const uint8_t* p, size_t n) {
      const uint8_t* ip = from_guest(p, n, f, 6);
      if (!ip) return false;
      const uint8_t* t = ip + (ip[0] & 15) * 4u;
      if (get16(t + 2) != h.sport || (t[13] & 0x12) != 0x12 || get32(t + 8) != h.iss + 1) return false;
      h.irs = get32(t + 4);
      return true;
    });
  }
  if (h.ok) {
    Bytes ack = tcp(f.ip, g_guest_ip, h.sport, g_port, h.iss + 1, h.irs + 1, 0x10);
    send_frame(to_guest(f, cat({ipv4(f.ip, g_guest_ip, 6, ack.size()), ack})));
  }
  return h;
}

int halfopen(int count) {
  int done = 0;
  for (int i = 0; i < count; ++i) {
    Fake f = fake(static_cast<uint8_t>(10 + i % 180));
    Handshake h = handshake(f, {2, 4, 0x05, 0xb4});
    if (!h.ok) continue;
    ++done;
    if (i % 2) {  // half of them also send half a request, then vanish
      std::string part = "GET / HTTP/1.1\r\nHost: vanished\r\n";
      Bytes d = tcp(f.ip, g_guest_ip, h.sport, g_port, h.iss + 1, h.irs + 1, 0x18, {}, part);
      send_frame(to_guest(f, cat({ipv4(f.ip, g_guest_ip, 6, d.size()), d})));
    }
  }
  printf("inject: halfopen: %d of %d handshakes completed, then silence\n", done, count);
  return done == count ? 0 : 1;
}

int mss0() {
  Fake f = fake(203);
  Handshake h = handshake(f, {2, 4, 0, 0});
  if (!h.ok) {
    printf("inject: mss0: no SYN-ACK (dropping a SYN with MSS 0 is acceptable)\n");
    return 0;
  }
  std::string req = "GET / HTTP/1.1\r\nHost: mss0\r\n\r\n";
  Bytes d = tcp(f.ip, g_guest_ip, h.sport, g_port, h.iss + 1, h.irs + 1, 0x18, {}, req);
  send_frame(to_guest(f, cat({ipv4(f.ip, g_guest_ip, 6, d.size()), d})));
  size_t got = 0;
  receive(3.0, [&](const uint8_t* p, size_t n) {
    const uint8_t* ip = from_guest(p, n, f, 6);
    if (!ip) return false;
    size_t ihl = (ip[0] & 15) * 4u;
    const uint8_t* t = ip + ihl;
    size_t seg = get16(ip + 2) - ihl - (t[12] >> 4) * 4u;
    got += seg;
    return got > 0;
  });
  Bytes rst = tcp(f.ip, g_guest_ip, h.sport, g_port, h.iss + 1 + static_cast<uint32_t>(req.size()), 0, 0x04);
  send_frame(to_guest(f, cat({ipv4(f.ip, g_guest_ip, 6, rst.size()), rst})));
  printf("inject: mss0: handshake done, %zu bytes of answer seen\n", got);
  return 0;
}

int synflood(long count, long rate) {
  double t0 = now();
  long burst = rate / 100 > 0 ? rate / 100 : 1;  // 10 ms bursts
  for (long i = 0; i < count; ++i) {
    Fake f = fake(static_cast<uint8_t>(3 + rnd() % 252));
    if (f.ip == g_guest_ip) continue;
    Bytes syn = tcp(f.ip, g_guest_ip, static_cast<uint16_t>(1024 + rnd() % 60000), g_port, rnd(), 0, 0x02,
                    {2, 4, 0x05, 0xb4});
    send_frame(to_guest(f, cat({ipv4(f.ip, g_guest_ip, 6, syn.size()), syn})));
    if ((i + 1) % burst == 0) {
      drain_arp(0);  // answer the guest's ARP for the fake sources, so SYN-ACKs really go out
      double due = t0 + static_cast<double>(i + 1) / static_cast<double>(rate);
      double wait = due - now();
      if (wait > 0) drain_arp(wait);
    }
  }
  printf("inject: synflood: %ld SYNs in %.2f s\n", count, now() - t0);
  return 0;
}

[[noreturn]] void usage() {
  fprintf(stderr,
          "usage: inject IFACE GUEST_IP PORT malformed | synflood N RATE | halfopen N | mss0\n");
  exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) usage();
  g_ifindex = static_cast<int>(if_nametoindex(argv[1]));
  if (g_ifindex == 0 || inet_pton(AF_INET, argv[2], &g_guest_ip) != 1) usage();
  g_net = g_guest_ip;
  g_port = static_cast<uint16_t>(atoi(argv[3]));
  g_rng ^= static_cast<uint64_t>(getpid()) << 20;
  g_sock = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (g_sock < 0) {
    perror("inject: socket(AF_PACKET)");
    return 1;
  }
  sockaddr_ll me{};
  me.sll_family = AF_PACKET;
  me.sll_protocol = htons(ETH_P_ALL);
  me.sll_ifindex = g_ifindex;
  if (bind(g_sock, reinterpret_cast<sockaddr*>(&me), sizeof me) < 0) {
    perror("inject: bind");
    return 1;
  }
  if (!resolve_guest()) {
    fprintf(stderr, "inject: the guest %s does not answer ARP on %s\n", argv[2], argv[1]);
    return 1;
  }
  std::string mode = argv[4];
  int rc = 2;
  if (mode == "malformed" && argc == 5) {
    malformed();
    Fake f = fake(204);
    bool plain = ping(f, 56, 0, false);
    bool frag = ping(f, 3000, 1184, true);  // a valid reassembly, fragments in reverse order
    printf("inject: after the malformed frames: ping %s, reverse-order fragmented ping %s\n",
           plain ? "answered" : "NOT answered", frag ? "answered" : "NOT answered");
    rc = plain && frag ? 0 : 1;
  } else if (mode == "synflood" && argc == 7) {
    rc = synflood(atol(argv[5]), atol(argv[6]) > 0 ? atol(argv[6]) : 10000);
  } else if (mode == "halfopen" && argc == 6) {
    rc = halfopen(atoi(argv[5]));
  } else if (mode == "mss0" && argc == 5) {
    rc = mss0();
  } else {
    usage();
  }
  return rc;
}
