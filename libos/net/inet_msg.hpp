// Walking a message's iovecs a piece at a time (the inet sockets move bytes
// in as many stack calls as the buffers and the stack's room need), and the
// bounce buffer for what must be one contiguous piece (a datagram, a peek
// over several buffers).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "uapi/uio.hpp"

namespace libos::net {

class IovCursor {
 public:
  IovCursor(const uapi::Iovec* iov, size_t count) : m_iov(iov), m_count(count) { skip_empty(); }

  bool done() const { return m_index >= m_count; }
  // The current contiguous piece (valid while !done()).
  uint8_t* ptr() const { return static_cast<uint8_t*>(m_iov[m_index].base) + m_offset; }
  size_t len() const { return m_iov[m_index].len - m_offset; }
  // Bytes after the current piece.
  bool more_after(size_t n) const;
  void advance(size_t n);

 private:
  void skip_empty();
  const uapi::Iovec* m_iov;
  size_t m_count;
  size_t m_index = 0;
  size_t m_offset = 0;
};

// Copies between a contiguous buffer and the iovecs, as far as both go.
void iov_gather(const uapi::Iovec* iov, size_t count, uint8_t* out, size_t len);
void iov_scatter(const uapi::Iovec* iov, size_t count, const uint8_t* in, size_t len);
// How many iovecs carry bytes.
size_t iov_pieces(const uapi::Iovec* iov, size_t count);

}  // namespace libos::net
