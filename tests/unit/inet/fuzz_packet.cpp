// libFuzzer target over the network stack's packet input path
// (Stack::input and the timers), built by scripts/fuzz with ASan + UBSan.
//
// Each input is a sequence of records:
//   u16 length (big-endian) | u8 control | `length` bytes: one frame
// The frame goes to a server stack (10.0.0.2, MAC 02:00:00:00:00:0b) that
// has a listening TCP socket on port 80 with two accepted connections (from
// 10.0.0.1, MAC ...:0a, ports 40000 and 40001), an outgoing TCP connection
// to 10.0.0.1:8080 in SYN_SENT, a UDP socket bound to port 53 and one
// connected to 10.0.0.1:5353; it also speaks IPv6 (link-local from its MAC,
// static fd00::2/64: neighbour discovery, echo, TCP and UDP over IPv6). After each frame the clock moves by
// (control & 0x3f)^2 ms (up to ~4 s, so timers run), bit 0x40 makes the
// sockets read what they can and write a little, bit 0x80 toggles "device
// full". Randomness is a fixed sequence, so ISNs and ports are the same in
// every run and the fuzzer can learn sequence numbers.
//
// SHOAL_FUZZ_SHOW=1 prints the server's counters after each input.
// Seeds: FUZZ_PACKET_WRITE_SEEDS=dir ./fuzz_packet writes valid frames (ARP,
// ping, fragmented UDP, TCP SYN, data and FIN on an accepted connection;
// IPv6 neighbour solicitation and advertisement, echo, TCP SYNs to the
// listener and a closed port, UDP to the bound port and a closed one, an
// ICMPv6 port unreachable about our UDP datagram; IPv6 fragments in and out
// of order, an atomic fragment, an extension header chain, a router
// advertisement)
// made by a real client stack into dir and exits; tests/fuzz/corpus/
// fuzz_packet/ holds their output.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <utility>
#include <vector>

#include "inet/checksum.hpp"
#include "inet/ipv6.hpp"
#include "inet/stack.hpp"
#include "inet/tcp.hpp"
#include "inet/udp.hpp"

using namespace libos::inet;

namespace {

uint64_t g_rng;
uint32_t fuzz_random32() {
  g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
  return static_cast<uint32_t>(g_rng >> 33);
}

using Frame = std::vector<uint8_t>;

// A device that keeps what it sends (for the handshake) and can refuse.
class QueueDevice final : public Device {
 public:
  uint8_t* tx_buffer() override { return full ? nullptr : m_buf; }
  void tx_commit(size_t len) override {
    if (keep) sent.emplace_back(m_buf, m_buf + len);
  }
  std::vector<Frame> sent;
  bool keep = true;
  bool full = false;

 private:
  uint8_t m_buf[kMaxFrame];
};

constexpr uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} | uint32_t{b} << 8 | uint32_t{c} << 16 | uint32_t{d} << 24;
}
constexpr uint32_t kServerIp = ip4(10, 0, 0, 2), kClientIp = ip4(10, 0, 0, 1);

StackConfig config(uint8_t last, uint32_t ip) {
  StackConfig c;
  const uint8_t mac[6] = {0x02, 0, 0, 0, 0, last};
  memcpy(c.mac, mac, 6);
  c.ip = ip;
  c.prefix = 24;
  c.gateway = ip4(10, 0, 0, 254);
  c.ipv6 = true;
  const uint8_t ip6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(last == 0x0b ? 2 : 1)};
  memcpy(c.ip6, ip6, 16);
  c.ip6_prefix = 64;
  return c;
}

// The server with its sockets, and the client stack that made the
// connections. Built afresh for every input (deterministically).
struct World {
  uint64_t now = 1'000'000'000;
  QueueDevice dev_server, dev_client;
  Stack server{config(0x0b, kServerIp), dev_server, fuzz_random32};
  Stack client{config(0x0a, kClientIp), dev_client, fuzz_random32};
  TcpSocket* listener = nullptr;
  TcpSocket* c1 = nullptr;
  TcpSocket* c2 = nullptr;
  TcpSocket* accepted[2] = {};
  TcpSocket* outgoing = nullptr;
  UdpSocket* dns = nullptr;
  UdpSocket* peer = nullptr;

  World() {
    server.set_now(now);
    client.set_now(now);
    // Small buffers: cheap to set up per input, and full windows are easy to reach.
    listener = TcpSocket::create(server);
    small_buffers(listener);
    listener->bind(0, 80);
    listener->listen(8);
    c1 = TcpSocket::create(client);
    c2 = TcpSocket::create(client);
    small_buffers(c1);
    small_buffers(c2);
    c1->bind(0, 40000);
    c2->bind(0, 40001);
    c1->connect(kServerIp, 80);
    exchange();
    c2->connect(kServerIp, 80);
    exchange();
    long err = 0;
    accepted[0] = listener->accept(&err);
    accepted[1] = listener->accept(&err);
    outgoing = TcpSocket::create(server);
    small_buffers(outgoing);
    outgoing->connect(kClientIp, 8080);
    dns = UdpSocket::create(server);
    dns->bind(0, 53);
    peer = UdpSocket::create(server);
    peer->connect(kClientIp, 5353);
    dev_server.sent.clear();
    dev_client.sent.clear();
  }

  static void small_buffers(TcpSocket* s) {
    s->set_rcvbuf(4096);
    s->set_sndbuf(4096);
  }

  ~World() {
    for (TcpSocket* s : accepted)
      if (s != nullptr) s->close();
    outgoing->close();
    listener->close();
    c1->close();
    c2->close();
    dns->close();
    peer->close();
  }

  // Moves frames between the stacks until both are quiet (bounded).
  void exchange() {
    for (int round = 0; round < 20 && (!dev_server.sent.empty() || !dev_client.sent.empty()); ++round) {
      auto to_client = std::move(dev_server.sent);
      auto to_server = std::move(dev_client.sent);
      dev_server.sent.clear();
      dev_client.sent.clear();
      for (auto& f : to_client) client.input(f.data(), f.size());
      for (auto& f : to_server) server.input(f.data(), f.size());
    }
  }
};

uint8_t g_buf[70000];
bool g_show = false;  // SHOAL_FUZZ_SHOW=1: print the server's counters after each input

void poke_sockets(World& w) {
  for (TcpSocket* s : w.accepted) {
    if (s == nullptr) continue;
    while (s->recv(g_buf, sizeof g_buf, false) > 0) {
    }
    s->send("response", 8, false);
  }
  size_t full = 0;
  uint32_t ip = 0;
  uint16_t port = 0;
  while (w.dns->recvfrom(g_buf, sizeof g_buf, false, &full, &ip, &port) >= 0) {
  }
  w.peer->recvfrom(g_buf, sizeof g_buf, false, &full, &ip, &port);
  w.peer->sendto("q", 1, false, 0, 0);
}

// ---- seeds ----

void put_record(std::string& out, const Frame& f, uint8_t control) {
  out.push_back(static_cast<char>(f.size() >> 8));
  out.push_back(static_cast<char>(f.size()));
  out.push_back(static_cast<char>(control));
  out.append(reinterpret_cast<const char*>(f.data()), f.size());
}

void write_seed(const char* dir, const char* name, const std::vector<Frame>& frames, uint8_t control) {
  std::string out;
  for (const Frame& f : frames) put_record(out, f, control);
  std::string path = std::string(dir) + "/" + name;
  FILE* file = fopen(path.c_str(), "wb");
  if (file == nullptr || fwrite(out.data(), 1, out.size(), file) != out.size()) {
    perror(path.c_str());
    exit(1);
  }
  fclose(file);
}

std::vector<Frame> take(QueueDevice& d) {
  std::vector<Frame> out = std::move(d.sent);
  d.sent.clear();
  return out;
}

Frame ping_frame() {
  Frame f(14 + 20 + 8 + 32);
  const uint8_t server_mac[6] = {0x02, 0, 0, 0, 0, 0x0b}, client_mac[6] = {0x02, 0, 0, 0, 0, 0x0a};
  memcpy(f.data(), server_mac, 6);
  memcpy(f.data() + 6, client_mac, 6);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  ip[3] = 20 + 8 + 32;
  ip[8] = 64;
  ip[9] = kProtoIcmp;
  memcpy(ip + 12, &kClientIp, 4);
  memcpy(ip + 16, &kServerIp, 4);
  uint16_t sum = checksum(ip, 20);
  memcpy(ip + 10, &sum, 2);
  uint8_t* m = ip + 20;
  m[0] = 8;
  m[5] = 1;
  m[7] = 1;
  for (int i = 0; i < 32; ++i) m[8 + i] = static_cast<uint8_t>(i);
  sum = checksum(m, 8 + 32);
  memcpy(m + 2, &sum, 2);
  return f;
}

// An IPv6 frame from the client (fd00::1) to dst at dst_mac carrying an
// ICMPv6 message, a TCP segment or a UDP datagram (checksummed) or another
// protocol's bytes.
Frame ip6_frame(const uint8_t* dst_mac, const uint8_t dst[16], uint8_t next, std::vector<uint8_t> l4, uint8_t hops) {
  const uint8_t client_mac[6] = {0x02, 0, 0, 0, 0, 0x0a};
  const uint8_t src[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (next == kProtoIcmp6) {
    l4[2] = l4[3] = 0;
    uint16_t sum = icmp6_checksum(src, dst, l4.data(), l4.size());
    memcpy(l4.data() + 2, &sum, 2);
  } else if ((next == kProtoTcp && l4.size() >= 20) || (next == kProtoUdp && l4.size() >= 8)) {
    size_t at = next == kProtoTcp ? 16 : 6;
    l4[at] = l4[at + 1] = 0;
    uint16_t sum = csum_fold(csum_add(ip6_pseudo(src, dst, next, static_cast<uint32_t>(l4.size())), l4.data(), l4.size()));
    memcpy(l4.data() + at, &sum, 2);
  }
  Frame f(14 + 40);
  memcpy(f.data(), dst_mac, 6);
  memcpy(f.data() + 6, client_mac, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x60;
  ip[4] = static_cast<uint8_t>(l4.size() >> 8);
  ip[5] = static_cast<uint8_t>(l4.size());
  ip[6] = next;
  ip[7] = hops;
  memcpy(ip + 8, src, 16);
  memcpy(ip + 24, dst, 16);
  f.insert(f.end(), l4.begin(), l4.end());
  return f;
}

// A Fragment header (next header, byte offset, more, id) before piece.
std::vector<uint8_t> frag6(uint8_t next, size_t off, bool more, uint32_t id, const uint8_t* piece, size_t n) {
  std::vector<uint8_t> h = {next, 0, static_cast<uint8_t>(off >> 8), static_cast<uint8_t>((off & 0xf8) | (more ? 1 : 0)),
                            static_cast<uint8_t>(id >> 24), static_cast<uint8_t>(id >> 16), static_cast<uint8_t>(id >> 8),
                            static_cast<uint8_t>(id)};
  h.insert(h.end(), piece, piece + n);
  return h;
}

// IPv6 fragments and extension headers: a 1500-byte datagram to port 53
// in two fragments (in order, and last first), an atomic fragment, and a
// chain of Hop-by-Hop, Routing (no segments left) and Destination options
// before UDP.
void write_seeds6_ext(const char* dir, const uint8_t server_mac[6], const uint8_t server6[16]) {
  std::vector<uint8_t> udp(8 + 1492, 0);
  udp[0] = 0x13;
  udp[1] = 0x88;
  udp[3] = 53;
  udp[4] = static_cast<uint8_t>(udp.size() >> 8);
  udp[5] = static_cast<uint8_t>(udp.size());
  for (size_t i = 8; i < udp.size(); ++i) udp[i] = static_cast<uint8_t>(i * 7);
  Frame whole = ip6_frame(server_mac, server6, kProtoUdp, udp, 64);
  const uint8_t* l4 = whole.data() + 14 + 40;  // checksummed
  Frame first = ip6_frame(server_mac, server6, 44, frag6(kProtoUdp, 0, true, 0x1234, l4, 1232), 64);
  Frame last = ip6_frame(server_mac, server6, 44, frag6(kProtoUdp, 1232, false, 0x1234, l4 + 1232, udp.size() - 1232), 64);
  write_seed(dir, "ip6-udp-fragmented", {first, last}, 0x41);
  write_seed(dir, "ip6-udp-fragmented-last-first", {last, first}, 0x41);
  std::vector<uint8_t> small(l4, l4 + 8);
  small[4] = 0;
  small[5] = 32;
  small.resize(32, 0x55);
  Frame atomic_udp = ip6_frame(server_mac, server6, kProtoUdp, small, 64);
  write_seed(dir, "ip6-atomic-fragment",
             {ip6_frame(server_mac, server6, 44, frag6(kProtoUdp, 0, false, 7, atomic_udp.data() + 54, 32), 64)}, 0x41);
  // Hop-by-Hop (Router Alert) -> Routing type 0, 0 left -> Destination (PadN) -> UDP.
  std::vector<uint8_t> chain = {43, 0, 5, 2, 0, 0, 1, 0};
  std::vector<uint8_t> rh(24, 0);
  rh[0] = 60;
  rh[1] = 2;
  chain.insert(chain.end(), rh.begin(), rh.end());
  chain.insert(chain.end(), {kProtoUdp, 0, 1, 4, 0, 0, 0, 0});
  chain.insert(chain.end(), atomic_udp.begin() + 54, atomic_udp.end());
  write_seed(dir, "ip6-extension-chain", {ip6_frame(server_mac, server6, 0, chain, 64)}, 0x41);
  // A Router Advertisement (from fe80::1, to all-nodes): lifetime, the
  // router's MAC, a prefix with L and A.
  std::vector<uint8_t> ra(16, 0);
  ra[0] = 134;
  ra[4] = 64;
  ra[7] = 60;
  ra.insert(ra.end(), {1, 1, 0x02, 0, 0, 0, 0, 0x0a});
  std::vector<uint8_t> pi(32, 0);
  pi[0] = 3;
  pi[1] = 4;
  pi[2] = 64;
  pi[3] = 0xc0;
  pi[7] = 0xff;
  pi[11] = 0x7f;
  pi[16] = 0xfd;
  pi[19] = 0x77;
  ra.insert(ra.end(), pi.begin(), pi.end());
  const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
  Frame adv = ip6_frame(all_nodes_mac, all_nodes, kProtoIcmp6, ra, 255);
  const uint8_t router_ll[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  memcpy(adv.data() + 14 + 8, router_ll, 16);  // from a link-local address: re-sum
  uint8_t* m = adv.data() + 14 + 40;
  m[2] = m[3] = 0;
  uint16_t sum = icmp6_checksum(router_ll, all_nodes, m, ra.size());
  memcpy(m + 2, &sum, 2);
  write_seed(dir, "icmp6-router-advert", {adv}, 0x01);
}

void write_seeds6(const char* dir) {
  const uint8_t server_mac[6] = {0x02, 0, 0, 0, 0, 0x0b}, client_mac[6] = {0x02, 0, 0, 0, 0, 0x0a};
  const uint8_t server6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  const uint8_t group[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 2};
  const uint8_t group_mac[6] = {0x33, 0x33, 0xff, 0, 0, 2};
  std::vector<uint8_t> ns(24, 0);
  ns[0] = 135;
  memcpy(ns.data() + 8, server6, 16);
  ns.insert(ns.end(), {1, 1});
  ns.insert(ns.end(), client_mac, client_mac + 6);
  write_seed(dir, "icmp6-neighbour-solicit", {ip6_frame(group_mac, group, kProtoIcmp6, ns, 255)}, 0x01);
  std::vector<uint8_t> echo(8 + 32, 0);
  echo[0] = 128;
  echo[5] = 1;
  echo[7] = 1;
  for (int i = 0; i < 32; ++i) echo[8 + i] = static_cast<uint8_t>(i);
  write_seed(dir, "icmp6-echo", {ip6_frame(server_mac, server6, kProtoIcmp6, echo, 64)}, 0x01);
  std::vector<uint8_t> syn(20, 0);
  syn[0] = 0x9c;
  syn[1] = 0x40;
  syn[3] = 80;
  syn[12] = 0x50;
  syn[13] = 0x02;
  write_seed(dir, "ip6-tcp-syn", {ip6_frame(server_mac, server6, 6, syn, 64)}, 0x01);
  std::vector<uint8_t> closed = syn;
  closed[3] = 81;
  write_seed(dir, "ip6-tcp-syn-closed-port", {ip6_frame(server_mac, server6, 6, closed, 64)}, 0x01);
  std::vector<uint8_t> udp(8 + 24, 0);
  udp[0] = 0x13;
  udp[1] = 0x88;  // 5000
  udp[3] = 53;
  udp[5] = static_cast<uint8_t>(udp.size());
  for (size_t i = 8; i < udp.size(); ++i) udp[i] = static_cast<uint8_t>(i);
  Frame to53 = ip6_frame(server_mac, server6, kProtoUdp, udp, 64);
  write_seed(dir, "ip6-udp", {to53}, 0x41);
  std::vector<uint8_t> udp_closed = udp;
  udp_closed[3] = 54;
  write_seed(dir, "ip6-udp-closed-port", {ip6_frame(server_mac, server6, kProtoUdp, udp_closed, 64)}, 0x01);
  // The server's answer to the datagram, refused: an ICMPv6 error quoting it.
  std::vector<uint8_t> unreach(8, 0);
  unreach[0] = 1;
  unreach[1] = 4;
  Frame quoted = ip6_frame(server_mac, server6, kProtoUdp, udp, 64);
  // Swap the addresses and ports: the server's datagram back to the client.
  uint8_t* q = quoted.data() + 14;
  uint8_t tmp[16];
  memcpy(tmp, q + 8, 16);
  memcpy(q + 8, q + 24, 16);
  memcpy(q + 24, tmp, 16);
  std::swap(q[40], q[42]);
  std::swap(q[41], q[43]);
  unreach.insert(unreach.end(), q, q + 48);
  write_seed(dir, "ip6-udp-then-unreachable",
             {to53, ip6_frame(server_mac, server6, kProtoIcmp6, unreach, 64)}, 0x01);
  std::vector<uint8_t> na(24, 0);
  na[0] = 136;
  na[4] = 0x60;
  const uint8_t client6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  memcpy(na.data() + 8, client6, 16);
  na.insert(na.end(), {2, 1});
  na.insert(na.end(), client_mac, client_mac + 6);
  write_seed(dir, "ip6-udp-then-advert", {to53, ip6_frame(server_mac, server6, kProtoIcmp6, na, 255)}, 0x41);
  write_seeds6_ext(dir, server_mac, server6);
}

void write_seeds(const char* dir) {
  write_seeds6(dir);
  g_rng = 1;
  World w;  // the same world every fuzz input starts from
  // A client UDP socket: datagrams to port 53, to a closed port, and a
  // fragmented 3000-byte one.
  UdpSocket* u = UdpSocket::create(w.client);
  u->bind(0, 5353);
  u->sendto("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12, true, kServerIp, 53);
  write_seed(dir, "udp-dns", take(w.dev_client), 0x41);
  u->sendto("hello", 5, true, kServerIp, 9999);
  write_seed(dir, "udp-closed-port", take(w.dev_client), 0x01);
  std::vector<uint8_t> big(3000, 'x');
  u->sendto(big.data(), big.size(), true, kServerIp, 53);
  write_seed(dir, "udp-fragmented", take(w.dev_client), 0x41);
  u->close();
  write_seed(dir, "icmp-echo", {ping_frame()}, 0x01);
  // TCP: a new SYN to the listener; data, then FIN on accepted connection 0.
  TcpSocket* t = TcpSocket::create(w.client);
  t->bind(0, 40002);
  t->connect(kServerIp, 80);
  write_seed(dir, "tcp-syn", take(w.dev_client), 0x01);
  t->close();
  take(w.dev_client);
  const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  w.c1->set_nodelay(true);
  w.c1->send(req, sizeof req - 1, false);
  std::vector<Frame> data = take(w.dev_client);
  write_seed(dir, "tcp-data", data, 0x45);
  w.c1->shutdown(1);
  std::vector<Frame> fin = take(w.dev_client);
  data.insert(data.end(), fin.begin(), fin.end());
  write_seed(dir, "tcp-data-fin", data, 0x45);
  // ARP: a request for the server's address and a reply.
  Frame arp(42);
  const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, client_mac[6] = {0x02, 0, 0, 0, 0, 0x0a};
  memcpy(arp.data(), bcast, 6);
  memcpy(arp.data() + 6, client_mac, 6);
  const uint8_t arp_hdr[8] = {0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4};
  memcpy(arp.data() + 12, arp_hdr, 8);
  arp[21] = 1;
  memcpy(arp.data() + 22, client_mac, 6);
  memcpy(arp.data() + 28, &kClientIp, 4);
  memcpy(arp.data() + 38, &kServerIp, 4);
  write_seed(dir, "arp-request", {arp}, 0x01);
  const uint32_t other = ip4(10, 0, 0, 254);
  arp[21] = 2;
  memcpy(arp.data() + 28, &other, 4);
  write_seed(dir, "arp-reply-gateway", {arp}, 0x3f);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_show = getenv("SHOAL_FUZZ_SHOW") != nullptr;
  if (const char* dir = getenv("FUZZ_PACKET_WRITE_SEEDS")) {
    write_seeds(dir);
    exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  g_rng = 1;
  World w;
  w.dev_server.keep = false;  // the server's output goes nowhere
  while (size >= 3) {
    size_t len = size_t{data[0]} << 8 | data[1];
    uint8_t control = data[2];
    data += 3;
    size -= 3;
    if (len > size) len = size;
    w.server.input(data, len);
    data += len;
    size -= len;
    if (control & 0x80) w.dev_server.full = !w.dev_server.full;
    if (control & 0x40) poke_sockets(w);
    uint64_t step = control & 0x3f;
    w.now += step * step * 1'000'000;
    w.server.set_now(w.now);
    w.server.run_timers();
  }
  if (g_show) {
    const StackStats& st = w.server.stats();
    fprintf(stderr,
            "rx %llu tx %llu arp_answered %llu echo %llu reassembled %llu udp_no_port %llu "
            "bad eth/arp/ip/icmp/udp/tcp %llu/%llu/%llu/%llu/%llu/%llu rst %llu | readable %zu %zu "
            "states %d %d dns %zu | ip6 bad %llu nd %llu echo6 %llu\n",
            (unsigned long long)st.rx_frames, (unsigned long long)st.tx_frames,
            (unsigned long long)st.arp_requests_answered, (unsigned long long)st.icmp_echo_answered,
            (unsigned long long)st.frags_reassembled, (unsigned long long)st.udp_no_port,
            (unsigned long long)st.rx_bad_eth, (unsigned long long)st.rx_bad_arp,
            (unsigned long long)st.rx_bad_ip, (unsigned long long)st.rx_bad_icmp,
            (unsigned long long)st.rx_bad_udp, (unsigned long long)st.rx_bad_tcp,
            (unsigned long long)st.tcp_rst_sent,
            w.accepted[0] ? w.accepted[0]->readable() : 0, w.accepted[1] ? w.accepted[1]->readable() : 0,
            w.accepted[0] ? static_cast<int>(w.accepted[0]->state()) : -1,
            w.accepted[1] ? static_cast<int>(w.accepted[1]->state()) : -1, w.dns->next_size(),
            (unsigned long long)st.rx_bad_ip6, (unsigned long long)st.nd_answered,
            (unsigned long long)st.icmp6_echo_answered);
  }
  return 0;
}
