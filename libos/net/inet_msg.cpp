#include "net/inet_msg.hpp"

#include "core/klib.hpp"
#include "uapi/uio.hpp"

namespace libos::net {

void IovCursor::skip_empty() {
  while (m_index < m_count && m_offset >= m_iov[m_index].len) {
    ++m_index;
    m_offset = 0;
  }
}

bool IovCursor::more_after(size_t n) const {
  if (n < len()) return true;
  for (size_t i = m_index + 1; i < m_count; ++i) {
    if (m_iov[i].len != 0) return true;
  }
  return false;
}

void IovCursor::advance(size_t n) {
  m_offset += n;
  skip_empty();
}

void iov_gather(const uapi::Iovec* iov, size_t count, uint8_t* out, size_t len) {
  size_t done = 0;
  for (size_t i = 0; i < count && done < len; ++i) {
    size_t n = iov[i].len < len - done ? iov[i].len : len - done;
    memcpy(out + done, iov[i].base, n);
    done += n;
  }
}

void iov_scatter(const uapi::Iovec* iov, size_t count, const uint8_t* in, size_t len) {
  size_t done = 0;
  for (size_t i = 0; i < count && done < len; ++i) {
    size_t n = iov[i].len < len - done ? iov[i].len : len - done;
    memcpy(iov[i].base, in + done, n);
    done += n;
  }
}

size_t iov_pieces(const uapi::Iovec* iov, size_t count) {
  size_t n = 0;
  for (size_t i = 0; i < count; ++i) n += iov[i].len != 0;
  return n;
}

}  // namespace libos::net
