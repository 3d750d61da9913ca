// execve's copies of argv and envp (exec/arg_list.hpp).
#include "exec/arg_list.hpp"

#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "mm/kmalloc.hpp"

namespace libos::exec {

ArgList::~ArgList() {
  for (uint32_t i = 0; i < m_count; ++i) kfree(m_strings[i]);
  kfree(m_strings);
  kfree(m_lengths);
}

long ArgList::reserve_one() {
  if (m_count < m_cap) return 0;
  uint32_t cap = m_cap == 0 ? 16 : m_cap * 2;
  auto* s = static_cast<char**>(krealloc(m_strings, cap * sizeof(char*)));
  if (s == nullptr) return -ENOMEM;
  m_strings = s;
  auto* l = static_cast<size_t*>(krealloc(m_lengths, cap * sizeof(size_t)));
  if (l == nullptr) return -ENOMEM;
  m_lengths = l;
  m_cap = cap;
  return 0;
}

long ArgList::push(const char* s, size_t len, bool at_front) {
  if (len >= kMaxArgStrlen) return -E2BIG;
  // Each string also costs its pointer on the stack.
  if (m_bytes + len + 1 + 8 > kMaxArgBytes) return -E2BIG;
  long r = reserve_one();
  if (r < 0) return r;
  auto* copy = static_cast<char*>(kmalloc(len + 1));
  if (copy == nullptr) return -ENOMEM;
  memcpy(copy, s, len);
  copy[len] = '\0';
  if (at_front) {
    for (uint32_t i = m_count; i > 0; --i) {
      m_strings[i] = m_strings[i - 1];
      m_lengths[i] = m_lengths[i - 1];
    }
    m_strings[0] = copy;
    m_lengths[0] = len;
  } else {
    m_strings[m_count] = copy;
    m_lengths[m_count] = len;
  }
  ++m_count;
  m_bytes += len + 1 + 8;
  return 0;
}

void ArgList::drop_front() {
  if (m_count == 0) return;
  kfree(m_strings[0]);
  m_bytes -= m_lengths[0] + 1 + 8;
  for (uint32_t i = 1; i < m_count; ++i) {
    m_strings[i - 1] = m_strings[i];
    m_lengths[i - 1] = m_lengths[i];
  }
  --m_count;
}

long ArgList::copy_from_user(char* const* vec) {
  if (vec == nullptr) return 0;
  for (uint64_t i = 0;; ++i) {
    // SAFETY: each pointer slot and each string is checked before it is read.
    if (!user_readable(&vec[i], sizeof(char*))) return -EFAULT;
    const char* s = vec[i];
    if (s == nullptr) return 0;
    long len = user_strnlen(s, kMaxArgStrlen);
    if (len == -ENAMETOOLONG) return -E2BIG;
    if (len < 0) return len;
    long r = push(s, static_cast<size_t>(len));
    if (r < 0) return r;
  }
}

}  // namespace libos::exec
