// Stack: the Ethernet layer (dispatch by ethertype, destination filter) and
// the owner of the protocols. See stack.hpp for the contract; ip_begin and
// ip_commit are in ipv4_output.cpp.
#include "inet/stack.hpp"

#include "inet/arp.hpp"
#include "inet/ethernet.hpp"
#include "inet/ipv4.hpp"
#include "inet/ipv6.hpp"
#include "inet/ipv6_peers.hpp"
#include "inet/tcp.hpp"
#include "inet/udp.hpp"

namespace libos::inet {

namespace {
constexpr uint16_t kMinMtu = 576;  // RFC 791: every host accepts 576-byte datagrams
}

bool device_retire_tx_memory(Device* device, void* p) { return device->retire_tx_memory(p); }

Stack::Stack(const StackConfig& config, Device& device, uint32_t (*random32)())
    : m_config(config), m_device(device), m_random32(random32) {
  // The device carries at most kMaxFrame bytes; a smaller MTU is honoured.
  if (m_config.mtu > kMaxFrame - kEthHeader) m_config.mtu = kMaxFrame - kEthHeader;
  if (m_config.mtu < kMinMtu) m_config.mtu = kMinMtu;
  if (m_config.prefix > 32) m_config.prefix = 32;
  if (!m_config.offload_csum) m_config.offload_tso4 = false;  // segmentation completes checksums
  m_arp = create<Arp>(*this);
  m_ipv4 = create<Ipv4>(*this);
  m_tcp = create<Tcp>(*this);
  m_udp = create<Udp>(*this);
  if (m_config.ipv6) {
    m_ip6 = create<Ip6Peers>(*this);
    m_reasm6 = create<Reassembly>(*this, Reassembly::kTimeout6, size_t{65535});
    m_frag6_id = random32();
    // Without a static address, ask the routers for a prefix (SLAAC); with
    // one, a router is still taken from the advertisements heard.
    if (m_config.ip6_prefix == 0) ip6_router_start(*this);
  }
  m_arp->announce();  // gratuitous ARP: neighbours with a stale entry for our address learn us
}

Stack::~Stack() {
  // Transports first: they may still send (RST) through IPv4 and ARP.
  destroy(m_tcp);
  destroy(m_udp);
  PacketBuf::free_list(m_loop_head);
  destroy(m_ipv4);
  destroy(m_arp);
  destroy(m_ip6);
  destroy(m_reasm6);
}

void Stack::input(const uint8_t* frame, size_t len, bool checksum_trusted) {
  m_table_deadline_stale = true;
  ++m_stats.rx_frames;
  // Cleared on every way out: loopback delivery (run_timers) never inherits it.
  struct Trust {
    bool& flag;
    ~Trust() { flag = false; }
  } trust{m_rx_trusted};
  m_rx_trusted = checksum_trusted;
  if (len < kEthHeader || mac_is_group(frame + 6)) {
    ++m_stats.rx_bad_eth;
    return;
  }
  // Our MAC or broadcast; multicast groups are not joined, other unicast
  // MACs reach us only on a shared segment or in promiscuous mode.
  // IPv6 adds the multicast groups of its neighbour discovery.
  if (!mac_equal(frame, m_config.mac) && !mac_equal(frame, kBroadcastMac) && !ip6_mac_wanted(*this, frame)) {
    ++m_stats.rx_not_for_us;
    return;
  }
  switch (load16(frame + 12)) {
    case kEtherArp:
      m_arp->input(frame + kEthHeader, len - kEthHeader);
      return;
    case kEtherIpv4:
      m_ipv4->input(frame + kEthHeader, len - kEthHeader);
      return;
    case kEtherIpv6:
      ip6_input(*this, frame + 6, frame + kEthHeader, len - kEthHeader);
      return;
    default:
      ++m_stats.rx_unknown_ethertype;  // VLAN tags, LLDP, ...
      return;
  }
}

// What the stack sent to itself. Answers go to a fresh queue; a few rounds
// run here and the rest waits for the next call (next_deadline() is now),
// so two sockets talking to each other cannot keep this loop busy forever.
void Stack::deliver_loopback() {
  for (int round = 0; round < 8 && m_loop_head != nullptr; ++round) {
    PacketBuf* p = m_loop_head;
    m_loop_head = m_loop_tail = nullptr;
    m_loop_bytes = 0;
    while (p != nullptr) {
      PacketBuf* next = p->next;
      ++m_stats.rx_frames;
      if (load16(p->frame() + 12) == kEtherIpv6)
        ip6_input(*this, p->frame() + 6, p->frame() + kEthHeader, p->len - kEthHeader, true);
      else
        m_ipv4->input(p->frame() + kEthHeader, p->len - kEthHeader, true);
      mem_free(p);
      p = next;
    }
  }
}

uint64_t Stack::run_timers() {
  m_table_deadline_stale = true;
  deliver_loopback();
  m_arp->run_timers();
  m_ipv4->run_timers();
  if (m_reasm6 != nullptr) m_reasm6->run_timers();
  if (m_ip6 != nullptr) ip6_router_timers(*this);
  m_tcp->run_timers();
  return next_deadline();
}

uint64_t Stack::next_deadline() const {
  if (m_loop_head != nullptr) return m_now;
  if (m_table_deadline_stale) {
    uint64_t arp = m_arp->next_deadline();
    uint64_t reassembly = m_ipv4->next_deadline();
    if (m_reasm6 != nullptr && m_reasm6->next_deadline() < reassembly) reassembly = m_reasm6->next_deadline();
    if (m_ip6 != nullptr) {
      const Ip6Peers::Router& r = m_ip6->router();
      if (r.next_solicit < reassembly) reassembly = r.next_solicit;
      if (r.standin != 0 && r.expires < reassembly) reassembly = r.expires;
    }
    m_table_deadline = reassembly < arp ? reassembly : arp;
    m_table_deadline_stale = false;
  }
  // TCP keeps its own earliest timer (socket calls move it without a packet).
  uint64_t t = m_tcp->next_deadline();
  return t < m_table_deadline ? t : m_table_deadline;
}

}  // namespace libos::inet
