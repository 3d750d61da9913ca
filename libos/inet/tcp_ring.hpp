// A byte ring for a connection's send or receive buffer. Bytes are copied in
// once and out once; the receive side also writes out-of-order data straight
// to its final place beyond the in-order bytes (write_at), so reassembly
// needs no second buffer and is bounded by the ring itself.
#pragma once

#include "inet/env.hpp"

namespace libos::inet {

class Device;
// Hands p to the device when gathered frames may still read it (stack.cpp):
// true if the device took it (and frees it once they are sent).
bool device_retire_tx_memory(Device* device, void* p);

class TcpRing {
 public:
  TcpRing() = default;
  TcpRing(const TcpRing&) = delete;
  TcpRing& operator=(const TcpRing&) = delete;
  ~TcpRing() { release(); }

  bool allocate(uint32_t cap) {
    release();
    // Not zeroed: only bytes written by send() or by received segments are
    // ever read, and zeroing 256 KiB per connection costs a visible part of
    // a short connection.
    m_buf = static_cast<uint8_t*>(mem_alloc_raw(cap));
    if (m_buf == nullptr) return false;
    m_cap = cap;
    m_head = m_len = 0;
    return true;
  }
  // A send ring whose bytes the device may gather (zero-copy frames that
  // point into the ring) is freed through the device, which holds it until
  // those frames have left.
  void set_gather_device(Device* device) { m_device = device; }
  void release() {
    if (m_buf == nullptr || m_device == nullptr || !device_retire_tx_memory(m_device, m_buf)) mem_free(m_buf);
    m_buf = nullptr;
    m_cap = m_head = m_len = 0;
  }
  bool allocated() const { return m_buf != nullptr; }
  uint32_t capacity() const { return m_cap; }
  uint32_t size() const { return m_len; }
  uint32_t space() const { return m_cap - m_len; }

  // Writes n bytes at offset off from the head (off + n <= capacity); does
  // not change size().
  void write_at(uint32_t off, const void* src, uint32_t n) {
    const auto* s = static_cast<const uint8_t*>(src);
    uint32_t pos = wrap(m_head + off);
    uint32_t first = n < m_cap - pos ? n : m_cap - pos;
    memcpy(m_buf + pos, s, first);
    if (n > first) memcpy(m_buf, s + first, n - first);
  }
  // Makes n more bytes (already written with write_at) part of the content.
  void commit(uint32_t n) { m_len += n; }
  // Appends up to n bytes; returns how many fitted.
  uint32_t push(const void* src, uint32_t n) {
    if (n > space()) n = space();
    write_at(m_len, src, n);
    m_len += n;
    return n;
  }
  // The free space after the content as at most two contiguous spans (the
  // second after the wrap), so a producer can write straight into the ring
  // and commit() what it wrote: sendfile fills the send ring from file pages
  // with one copy instead of two.
  void free_spans(uint8_t** p1, uint32_t* n1, uint8_t** p2, uint32_t* n2) const {
    uint32_t pos = wrap(m_head + m_len);
    uint32_t sp = m_cap - m_len;
    uint32_t first = sp < m_cap - pos ? sp : m_cap - pos;
    *p1 = m_buf + pos;
    *n1 = first;
    *p2 = m_buf;
    *n2 = sp - first;
  }
  // Copies n bytes starting off bytes after the head (off + n <= size()).
  void copy_out(uint32_t off, void* dst, uint32_t n) const {
    auto* d = static_cast<uint8_t*>(dst);
    uint32_t pos = wrap(m_head + off);
    uint32_t first = n < m_cap - pos ? n : m_cap - pos;
    memcpy(d, m_buf + pos, first);
    if (n > first) memcpy(d + first, m_buf, n - first);
  }
  // The bytes [off, off + n) after the head (off + n <= size()) as at most
  // two contiguous spans (the second after the wrap): a frame may point at
  // them instead of copying (gather). Returns the number of spans.
  int spans(uint32_t off, uint32_t n, const uint8_t** p, uint32_t* len) const {
    uint32_t pos = wrap(m_head + off);
    uint32_t first = n < m_cap - pos ? n : m_cap - pos;
    p[0] = m_buf + pos;
    len[0] = first;
    if (n == first) return 1;
    p[1] = m_buf;
    len[1] = n - first;
    return 2;
  }
  void pop(uint32_t n) {
    m_head = wrap(m_head + n);
    m_len -= n;
  }

 private:
  uint32_t wrap(uint32_t pos) const { return pos >= m_cap ? pos - m_cap : pos; }
  uint8_t* m_buf = nullptr;
  Device* m_device = nullptr;
  uint32_t m_cap = 0, m_head = 0, m_len = 0;
};

}  // namespace libos::inet
