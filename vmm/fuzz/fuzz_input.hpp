// A cursor over a fuzzer's input. Every read succeeds: bytes past the end
// read as zero, so every input decodes to some test case and the fuzzer never
// wastes executions on "too short" rejections.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <span>

namespace shoal::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}

  template <typename T>
  T take() {
    T value{};
    size_t n = remaining() < sizeof(T) ? remaining() : sizeof(T);
    // SAFETY: n <= remaining(), so the copy stays inside the input; value is
    // a trivially copyable integer zero-filled beyond n.
    if (n) memcpy(&value, m_data + m_pos, n);
    m_pos += n;
    return value;
  }

  // Up to len bytes (fewer at the end of the input).
  std::span<const uint8_t> take_bytes(size_t len) {
    if (len > remaining()) len = remaining();
    std::span<const uint8_t> out(m_data + m_pos, len);
    m_pos += len;
    return out;
  }

  std::span<const uint8_t> rest() { return take_bytes(remaining()); }
  size_t remaining() const { return m_size - m_pos; }

 private:
  const uint8_t* m_data;
  size_t m_size;
  size_t m_pos = 0;
};

}  // namespace shoal::fuzz
