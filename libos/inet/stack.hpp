// The network stack of one instance: Ethernet, ARP, IPv4 (with reassembly of
// received fragments), ICMP, UDP and TCP over one Device.
//
// Single-threaded by design: the LibOS is cooperative (one vCPU, no
// interrupts), so the driver calls input() for each received frame and
// run_timers() when next_deadline() is due, from the scheduler's service
// round, and the socket glue calls the socket objects in between. No clock is
// read here: the driver sets the time (set_now) first, so host tests drive
// time themselves.
//
// Every frame is hostile: input() checks each length, header and checksum
// before it believes a field, and a bad frame is counted and dropped (or
// answered as a real stack would: RST, ICMP unreachable), never trusted.
#pragma once

#include "inet/env.hpp"

namespace libos::inet {

class Arp;
class Ip6Peers;
class Reassembly;
class Ipv4;
class Tcp;
class Udp;
struct PacketBuf;

inline constexpr size_t kMaxFrame = 1514;      // Ethernet header + 1500
inline constexpr size_t kMaxLargeFrame = 14 + 65535;  // a TCP super-frame (StackConfig::offload_tso4)
inline constexpr size_t kEthHeader = 14;
inline constexpr size_t kIpHeader = 20;        // we send no IP options
inline constexpr uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17;

// What the device is asked to finish on an outgoing frame (virtio-net's
// offloads; only with StackConfig::offload_csum / offload_tso4).
struct TxOffload {
  bool csum_partial = false;  // complete the L4 checksum: the field at
  uint16_t csum_start = 0;    // csum_start + csum_offset holds the pseudo-
  uint16_t csum_offset = 0;   // header sum; sum from csum_start to the end
  uint16_t gso_size = 0;      // > 0: a TCP/IPv4 super-frame, cut into segments of this payload
};

// A piece of a gathered frame's payload (Device::tx_commit_gather).
struct TxSpan {
  const uint8_t* data = nullptr;
  uint32_t len = 0;
};
inline constexpr int kMaxTxSpans = 2;  // a send ring's range: up to the wrap, then from its start

// The link the stack transmits on: the LibOS's netdev ring driver, or an
// in-memory wire in tests and the fuzzer.
class Device {
 public:
  // A buffer for one outgoing frame of up to kMaxFrame bytes, or nullptr when
  // the device has no room now (the frame is then lost, as on a full queue;
  // TCP retransmits).
  virtual uint8_t* tx_buffer() = 0;
  // Sends the frame written into the last tx_buffer(): len bytes.
  virtual void tx_commit(size_t len) = 0;
  // A device with offloads: a buffer for one frame of up to len bytes
  // (<= kMaxLargeFrame), and its commit with what the device must finish.
  // Called only when StackConfig announces the offloads.
  virtual uint8_t* tx_buffer_large(size_t len) { return len <= kMaxFrame ? tx_buffer() : nullptr; }
  virtual void tx_commit_offload(size_t len, const TxOffload&) { tx_commit(len); }
  // Gather (zero copy, a device with offload_csum): a frame whose first
  // bytes (its headers) go into the buffer tx_buffer_gather() returns and
  // whose payload the device reads later from the spans given at commit,
  // with the checksum left to the device (offload.csum_partial). The
  // spans' memory must stay as it is until the frame has left: memory
  // holding them is freed through retire_tx_memory(). nullptr: no room.
  virtual bool gathers() const { return false; }
  virtual uint8_t* tx_buffer_gather() { return nullptr; }
  virtual void tx_commit_gather(size_t head_len, const TxSpan* spans, int count, size_t len, const TxOffload&) {
    (void)head_len, (void)spans, (void)count, (void)len;
  }
  // Memory that gathered frames may still read: true if the device took it
  // and frees it (mem_free) once they have left; false: free it now.
  virtual bool retire_tx_memory(void* p) {
    (void)p;
    return false;
  }

 protected:
  ~Device() = default;
};

struct StackConfig {
  uint8_t mac[6] = {};
  uint32_t ip = 0;       // network byte order
  uint8_t prefix = 24;   // subnet prefix length, 0..32
  uint32_t gateway = 0;  // network byte order; 0: only the subnet is reachable
  uint16_t mtu = 1500;
  // The device's offloads: it completes partial TCP checksums (offload_csum)
  // and cuts TCP/IPv4 super-frames into MSS-sized segments (offload_tso4,
  // needs offload_csum). Received frames may then be super-frames too.
  bool offload_csum = false;
  bool offload_tso4 = false;
  // IPv6 (inet/ipv6.hpp): on, the stack answers neighbour discovery and
  // echo for its link-local address (from the MAC) and, with ip6_prefix
  // 1..128, for the static address ip6 (`shoal run --ip6`).
  bool ipv6 = false;
  uint8_t ip6[16] = {};
  uint8_t ip6_prefix = 0;
};

// Counters for tests and diagnostics: every drop has a reason.
struct StackStats {
  uint64_t rx_frames = 0, tx_frames = 0, tx_no_room = 0;
  uint64_t rx_bad_eth = 0, rx_not_for_us = 0, rx_unknown_ethertype = 0;
  uint64_t rx_bad_arp = 0, arp_requests_answered = 0, arp_queue_drops = 0;
  uint64_t rx_bad_ip = 0, rx_bad_ip_checksum = 0, rx_ip_not_for_us = 0, rx_unknown_proto = 0;
  uint64_t frags_received = 0, frags_reassembled = 0, frags_dropped = 0;
  uint64_t rx_bad_icmp = 0, icmp_echo_answered = 0;
  uint64_t rx_bad_udp = 0, udp_no_port = 0, udp_rcvbuf_drops = 0;
  uint64_t rx_bad_tcp = 0, tcp_rst_sent = 0, tcp_syn_dropped = 0, tcp_syncookies_sent = 0,
           tcp_retransmits = 0, tcp_fast_retransmits = 0, tcp_timeouts = 0;
  uint64_t tx_gso_frames = 0, rx_csum_trusted = 0;
  uint64_t tx_gather_frames = 0;  // frames whose payload the device read from the send ring
  uint64_t rx_bad_ip6 = 0, rx_ip6_not_for_us = 0, nd_answered = 0, icmp6_echo_answered = 0, ip6_slaac = 0;
};

// One IPv4 packet being built (ip_begin .. ip_commit). Opaque to callers.
struct IpTx {
  uint8_t* frame = nullptr;  // device buffer, or an owned buffer while ARP resolves
  uint8_t* l4 = nullptr;     // where the caller writes the L4 bytes
  size_t l4_len = 0;
  uint32_t next_hop = 0;     // network byte order
  bool owned = false;        // frame is mem_alloc'd (queued for ARP or fragmentation)
  bool fragment = false;     // longer than the MTU: fragmented at commit
  TxOffload offload;         // set by the caller before ip_commit (device frames only)
  bool v6 = false;           // an IPv6 packet to a stand-in (ipv6_peers.hpp), always owned
  // Gather: the last `gathered` bytes of the L4 payload are not written at
  // l4 but given as spans before ip_commit (ip_begin's external).
  bool gather = false;
  uint32_t gathered = 0;
  TxSpan spans[kMaxTxSpans];
  int span_count = 0;
};

class Stack {
 public:
  // random32: a good random source (ISNs, ephemeral ports, SYN cookie keys).
  Stack(const StackConfig& config, Device& device, uint32_t (*random32)());
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // A resumed snapshot on this instance's link (inet/rebind.cpp): the new
  // MAC, addresses, gateway and prefix of config take effect; the ARP and
  // neighbour caches are emptied (the peers are another host's); every TCP
  // connection to a peer off the loopback ends with ECONNRESET, without a
  // segment (that peer is not on this link); listeners and sockets bound to
  // INADDR_ANY stay; the keys of ISNs and SYN cookies are drawn anew; and a
  // gratuitous ARP announces the address. MTU and offloads stay as they were.
  void rebind(const StackConfig& config);
  // The port of a TCP listener (want 0: any, else want), 0 for none.
  uint16_t tcp_listening_port(uint16_t want) const;

  void set_now(uint64_t ns) { m_now = ns; }
  uint64_t now() const { return m_now; }

  // One received frame; the bytes are valid only during the call.
  // checksum_trusted: the device vouches for its L4 checksum (virtio's
  // DATA_VALID, or a partial checksum from the host's own stack): TCP and
  // UDP skip verifying it. Only the device driver passes true.
  void input(const uint8_t* frame, size_t len, bool checksum_trusted = false);
  // Whether the frame being processed had its checksum vouched for.
  bool rx_checksum_trusted() const { return m_rx_trusted; }
  void distrust_rx() { m_rx_trusted = false; }
  void set_rx_trusted(bool on) { m_rx_trusted = on; }
  // Runs what is due at now(); returns the next deadline (kNever: none).
  uint64_t run_timers();
  uint64_t next_deadline() const;

  const StackConfig& config() const { return m_config; }
  uint32_t random32() { return m_random32(); }
  StackStats& stats() { return m_stats; }
  Device& device() { return m_device; }

  // ---- for the protocols ----
  // Starts an IPv4 packet from our address to dst (network order) carrying
  // l4_len bytes of protocol proto, and returns where those bytes go; the
  // caller fills them (checksums included) and calls ip_commit. nullptr when
  // it cannot be sent now (no route, no room, out of memory): a lost packet.
  // Longer than the MTU: a TCP super-frame for the device when tso_to(dst)
  // (the caller sets tx->offload), else fragmented (UDP; TCP otherwise
  // stays within its MSS).
  // external: of the l4_len bytes, how many at the end the caller would
  // rather give as spans (a TCP payload in its send ring). When the device
  // gathers, tx->gather says so and only l4_len - external bytes are
  // written at the returned pointer; else the caller writes all of them.
  uint8_t* ip_begin(uint32_t dst, uint8_t proto, size_t l4_len, IpTx* tx, size_t external = 0);
  void ip_commit(IpTx* tx);
  // Whether a TCP packet to dst may go as a super-frame now (offload_tso4,
  // not to ourselves, next hop's MAC known: nothing would queue or fragment it).
  bool tso_to(uint32_t dst);
  // Whether dst is reachable (subnet, gateway, or 127.0.0.0/8, which loops
  // back as on Linux's lo); -ENETUNREACH else.
  bool routable(uint32_t dst) const;
  // Addresses of this instance: its own, and 127.0.0.0/8 (network order).
  // IPv6: our addresses' stand-ins (inet/ipv6_peers.hpp) too.
  bool is_local(uint32_t ip) const {
    return (ip == m_config.ip && ip != 0) || is_loopback_addr(ip) || (is_v6_standin(ip) && ip6_is_local(ip));
  }
  // The source address a packet to dst carries: 127.0.0.1 towards the
  // loopback net (as Linux picks lo's address), else ours.
  // IPv6's loopback (::1) is carried as kLoopback6Addr, an address of the
  // loopback net that AF_INET6 sockets show as ::1 (libos/net/inet6_addr):
  // it is its own source, so both ends of a ::1 connection see ::1.
  uint32_t source_for(uint32_t dst) const {
    if (dst == kLoopback6Addr) return kLoopback6Addr;
    if (is_v6_standin(dst)) return ip6_source_for(dst);
    return is_loopback_addr(dst) ? kLoopbackAddr : m_config.ip;
  }
  static bool is_loopback_addr(uint32_t ip) { return (ip & 0xffu) == 127; }
  static constexpr uint32_t kLoopbackAddr = 0x0100007fu;  // 127.0.0.1 in network order
  static constexpr uint32_t kLoopback6Addr = 0xfeffff7fu;  // 127.255.255.254: ::1
  // An IPv6 address carried as a 32-bit stand-in in 240.0.0.0/8 (ipv6_peers.hpp).
  static bool is_v6_standin(uint32_t ip) { return (ip & 0xffu) == 0xf0u; }
  // The room for the L4 header and payload in one packet to dst: the MTU
  // less the IPv4 or IPv6 header (TCP's MSS is this less its header).
  uint16_t l4_room(uint32_t dst) const {
    return static_cast<uint16_t>(m_config.mtu - (is_v6_standin(dst) ? 40 : kIpHeader));
  }
  // An ICMP destination unreachable (type 3, code) about a received IPv4
  // packet (its header and first 8 bytes are quoted). Rate-limited.
  void icmp_unreachable(const uint8_t* ip_packet, size_t len, uint8_t code);

  Tcp& tcp() { return *m_tcp; }
  Udp& udp() { return *m_udp; }
  Arp& arp() { return *m_arp; }
  Ipv4& ipv4() { return *m_ipv4; }
  // A transport keys a connection by the IPv6 stand-in ip (pin true) or no
  // longer does: a pinned stand-in is never evicted (ipv6_peers.hpp). No-op
  // for IPv4 addresses.
  void ip6_pin(uint32_t ip, bool pin) {
    if (is_v6_standin(ip)) ip6_pin_slow(ip, pin);
  }
  // Our global IPv6 address, formed by SLAAC (ipv6_router.cpp) when none
  // was configured.
  void ip6_configure(const uint8_t addr[16], uint8_t prefix);
  // A timer moved outside input()/run_timers(): next_deadline() recomputes.
  void touch_deadline() { m_table_deadline_stale = true; }
  // The Identification of the next datagram sent in IPv6 fragments.
  uint32_t next_frag6_id() { return m_frag6_id++; }
  // nullptr unless StackConfig::ipv6.
  Ip6Peers* ip6_peers() { return m_ip6; }
  Reassembly* ip6_reassembly() { return m_reasm6; }
  const Ip6Peers* ip6_peers() const { return m_ip6; }

 private:
  StackConfig m_config;
  Device& m_device;
  uint32_t (*m_random32)();
  uint64_t m_now = 0;
  StackStats m_stats;
  Arp* m_arp = nullptr;
  Ipv4* m_ipv4 = nullptr;
  Tcp* m_tcp = nullptr;
  Udp* m_udp = nullptr;
  // (helper-owned private state may be added below)
  // Packets to our own address: delivered by run_timers (next_deadline()
  // is "now" while any wait), never re-entering input() from a send.
  static constexpr size_t kLoopbackBytes = 1024 * 1024;
  void deliver_loopback();
  PacketBuf* m_loop_head = nullptr;
  PacketBuf* m_loop_tail = nullptr;
  size_t m_loop_bytes = 0;
  bool m_rx_trusted = false;  // set for the duration of input()
  // IPv6 output (ipv6_output.cpp): ip_begin/ip_commit for a stand-in.
  Ip6Peers* m_ip6 = nullptr;
  Reassembly* m_reasm6 = nullptr;  // IPv6 fragments (ipv6_ext.cpp)
  uint32_t m_frag6_id = 0;         // the next IPv6 fragment identification
  bool ip6_is_local(uint32_t ip) const;
  void ip6_pin_slow(uint32_t ip, bool pin);
  uint32_t ip6_source_for(uint32_t dst) const;
  bool ip6_routable(uint32_t dst) const;
  uint8_t* ip6_begin(uint32_t dst, uint8_t proto, size_t l4_len, IpTx* tx);
  void ip6_commit(IpTx* tx);
  void loop_enqueue(PacketBuf* buf);
  // ARP's and reassembly's earliest timer. next_deadline() runs every
  // scheduling round in the guest; both tables change only inside input(),
  // run_timers(), tso_to(), ip_begin() and ip_commit(), which mark it stale,
  // so the scan of their entries runs once per change, not once per round.
  mutable uint64_t m_table_deadline = kNever;
  mutable bool m_table_deadline_stale = true;
};

// Which peers a socket takes, for AF_INET6's IPV6_V6ONLY (libos/net/
// inet6_addr.hpp): all, IPv4 only (an AF_INET socket: not ::1, which the
// stack carries as Stack::kLoopback6Addr), or IPv6 only (::1). Sockets whose
// sets do not overlap may bind the same port, as Linux's v4 and v6-only ones.
enum class PeerFamily : uint8_t { any, ipv4_only, ipv6_only };
inline bool family_takes(PeerFamily f, uint32_t peer_ip) {
  bool v6 = peer_ip == Stack::kLoopback6Addr || Stack::is_v6_standin(peer_ip);
  return f == PeerFamily::any || (f == PeerFamily::ipv6_only) == v6;
}
inline bool families_overlap(PeerFamily a, PeerFamily b) {
  return a == PeerFamily::any || b == PeerFamily::any || a == b;
}

// The listener of a socket's readiness: the LibOS socket glue (waiters,
// epoll) or a test. Called from inside the stack (input, timers, or the
// socket's own calls) whenever what poll() answers may have changed, with
// the bits concerned.
class SocketEvents {
 public:
  virtual void socket_changed(uint32_t poll_bits) = 0;

 protected:
  ~SocketEvents() = default;
};

}  // namespace libos::inet
