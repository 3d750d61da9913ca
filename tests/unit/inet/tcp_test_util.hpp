// Helpers for the TCP tests: hand-built segments for a scripted peer, the
// parsed view of what a stack sent, and a bulk transfer driver that checks
// every byte (deterministic pseudo-random data) under simulated time.
#pragma once

#include <optional>

#include "inet/tcp.hpp"
#include "stack_test_frames.hpp"

namespace shoal::test {

using libos::inet::TcpSocket;
using libos::inet::TcpState;

inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

inline void put32(Bytes& b, size_t at, uint32_t v) {
  b[at] = static_cast<uint8_t>(v >> 24);
  b[at + 1] = static_cast<uint8_t>(v >> 16);
  b[at + 2] = static_cast<uint8_t>(v >> 8);
  b[at + 3] = static_cast<uint8_t>(v);
}
inline uint32_t get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

struct SegSpec {
  uint16_t sport = 40000, dport = 80;
  uint32_t seq = 1000, ack = 0;
  uint8_t flags = kSyn;
  uint16_t wnd = 65535;
  Bytes opts;  // raw, padded by the caller to a multiple of 4
  Bytes data;
};

// A TCP segment (checksummed for src -> dst, both network order).
inline Bytes tcp_segment(uint32_t src, uint32_t dst, const SegSpec& s) {
  Bytes t(20);
  put16(t, 0, s.sport);
  put16(t, 2, s.dport);
  put32(t, 4, s.seq);
  put32(t, 8, s.ack);
  t[12] = static_cast<uint8_t>((20 + s.opts.size()) / 4 << 4);
  t[13] = s.flags;
  put16(t, 14, s.wnd);
  t.insert(t.end(), s.opts.begin(), s.opts.end());
  t.insert(t.end(), s.data.begin(), s.data.end());
  using namespace libos::inet;
  uint16_t sum = csum_fold(csum_add(csum_pseudo(src, dst, 6, static_cast<uint16_t>(t.size())), t.data(), t.size()));
  memcpy(t.data() + 16, &sum, 2);
  return t;
}

// A TCP segment a stack sent, parsed from its Ethernet frame.
struct SentSeg {
  uint32_t src = 0, dst = 0;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t wnd = 0;
  Bytes opts, data;
  bool has(uint8_t f) const { return (flags & f) != 0; }
  // Option value bytes of kind k (without kind/length), if present.
  std::optional<Bytes> opt(uint8_t k) const {
    for (size_t i = 0; i < opts.size();) {
      if (opts[i] == 0) break;
      if (opts[i] == 1) { ++i; continue; }
      if (i + 1 >= opts.size() || opts[i + 1] < 2) break;
      if (opts[i] == k) return Bytes(opts.begin() + i + 2, opts.begin() + i + opts[i + 1]);
      i += opts[i + 1];
    }
    return std::nullopt;
  }
};

inline std::optional<SentSeg> parse_sent(const Bytes& f) {
  if (f.size() < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00) return std::nullopt;
  const uint8_t* ip = f.data() + 14;
  size_t ihl = size_t{static_cast<size_t>(ip[0] & 15)} * 4;
  if (ip[9] != 6) return std::nullopt;
  size_t total = get16(ip + 2);
  const uint8_t* t = ip + ihl;
  size_t tlen = total - ihl;
  SentSeg s;
  s.src = get_addr(ip + 12);
  s.dst = get_addr(ip + 16);
  s.sport = get16(t);
  s.dport = get16(t + 2);
  s.seq = get32(t + 4);
  s.ack = get32(t + 8);
  s.flags = t[13];
  s.wnd = get16(t + 14);
  size_t hl = static_cast<size_t>(t[12] >> 4) * 4;
  s.opts.assign(t + 20, t + hl);
  s.data.assign(t + hl, t + tlen);
  return s;
}

// Deterministic pseudo-random bytes (xorshift), different per seed.
inline Bytes random_bytes(size_t n, uint64_t seed) {
  Bytes b(n);
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b[i] = static_cast<uint8_t>(x >> 24);
  }
  return b;
}

// Debugging aid: prints every TCP segment crossing the wire.
inline void trace_tap(Wire& w) {
  w.tap = [&w](bool to_b, std::vector<uint8_t>& f) {
    if (auto s = parse_sent(f)) {
      printf("%.6f %s %u->%u seq=%u ack=%u flags=%02x wnd=%u len=%zu\n", static_cast<double>(w.now) / 1e9,
             to_b ? "a>b" : "b>a", s->sport, s->dport, s->seq, s->ack, s->flags, s->wnd, s->data.size());
    }
    return true;
  };
}

// Two stacks with a connected socket pair: client on a, server on b.
class TcpPair : public TwoStacks {
 protected:
  using TwoStacks::TwoStacks;
  ~TcpPair() override {
    for (TcpSocket* s : {client, server, listener}) {
      if (s != nullptr) s->close();
    }
  }
  // Listens on b:port, connects from a, accepts. True when established.
  bool connect_pair(uint16_t port = 5000, uint64_t limit_ns = 10'000'000'000ull) {
    listener = TcpSocket::create(b);
    client = TcpSocket::create(a);
    if (listener == nullptr || client == nullptr) return false;
    if (listener->bind(0, port) != 0 || listener->listen(16) != 0) return false;
    if (client->connect(kIpB, port) != -EINPROGRESS) return false;
    bool ok = run_until([&] {
      if (server == nullptr) {
        long err = 0;
        server = listener->accept(&err);
      }
      return server != nullptr && client->state() == TcpState::established;
    }, limit_ns);
    return ok;
  }

  // Moves `data` from `from` to `to` and returns what arrived, pumping the
  // wire; stops at limit (simulated) or when everything was received.
  Bytes transfer(TcpSocket* from, TcpSocket* to, const Bytes& data, uint64_t limit_ns) {
    Bytes got;
    got.reserve(data.size());
    size_t sent = 0;
    std::vector<uint8_t> buf(65536);
    run_until([&] {
      while (sent < data.size()) {
        long n = from->send(data.data() + sent, data.size() - sent, false);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      for (;;) {
        long n = to->recv(buf.data(), buf.size(), false);
        if (n <= 0) break;
        got.insert(got.end(), buf.begin(), buf.begin() + n);
      }
      return got.size() >= data.size();
    }, limit_ns);
    return got;
  }

  TcpSocket* client = nullptr;
  TcpSocket* server = nullptr;
  TcpSocket* listener = nullptr;
};

}  // namespace shoal::test
