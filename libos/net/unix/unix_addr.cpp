// AF_UNIX names: sockaddr_un decoding, bind (a tmpfs S_IFSOCK node, an
// abstract name, or an automatic one), and the lookup connect and sendto do.
// There is no name table: the live sockets are searched (few per instance),
// so a name can never outlive its socket in some table.
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "fs/fdtable.hpp"
#include "fs/path.hpp"
#include "net/unix/unix_socket.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/socket.hpp"

namespace libos::net {
namespace {

uint32_t g_autobind = 0;

bool same_name(const UnixAddr& a, const UnixAddr& b) { return a.len == b.len && memcmp(a.path, b.path, a.len) == 0; }

UnixSocket* find_abstract(const UnixAddr& a) {
  for (UnixSocket* s = unix_first(); s != nullptr; s = s->m_live_next) {
    if (s->m_owns_name && s->m_addr.abstract() && same_name(s->m_addr, a)) return s;
  }
  return nullptr;
}

// unix_autobind: a free abstract name "\0" + five hex digits.
long autobind(UnixSocket* s) {
  static const char kHex[] = "0123456789abcdef";
  for (int tries = 0; tries < 0x100000; ++tries) {
    uint32_t v = g_autobind++ & 0xfffff;
    UnixAddr a;
    a.len = 6;
    a.path[0] = '\0';
    for (int i = 0; i < 5; ++i) a.path[1 + i] = kHex[(v >> (4 * (4 - i))) & 0xf];
    if (find_abstract(a) == nullptr) {
      s->m_addr = a;
      s->m_owns_name = true;
      return 0;
    }
  }
  return -ENOSPC;
}

}  // namespace

long unix_get_addr(const void* addr, int addrlen, UnixAddr* out) {
  // move_addr_to_kernel, then unix_validate_addr.
  constexpr int kSockaddrStorage = 128;
  if (addrlen < 0 || addrlen > kSockaddrStorage) return -EINVAL;
  *out = UnixAddr{};
  char raw[kUnixPathOffset + kUnixPathMax] = {};
  size_t len = static_cast<size_t>(addrlen) < sizeof(raw) ? static_cast<size_t>(addrlen) : sizeof(raw);
  if (len > 0 && !user_readable(addr, len)) return -EFAULT;
  memcpy(raw, addr, len);
  if (static_cast<size_t>(addrlen) > sizeof(raw)) return -EINVAL;
  if (len < kUnixPathOffset) return -EINVAL;
  uint16_t family = static_cast<uint16_t>(static_cast<uint8_t>(raw[0]) | (static_cast<uint8_t>(raw[1]) << 8));
  if (family != uapi::AF_UNIX) return -EINVAL;
  size_t plen = len - kUnixPathOffset;
  if (plen == 0) return 0;
  if (raw[kUnixPathOffset] == '\0') {
    out->len = static_cast<uint8_t>(plen);
    memcpy(out->path, raw + kUnixPathOffset, plen);
    return 0;
  }
  // unix_mkname_bsd: the path ends at its first NUL or at addrlen; the name
  // keeps one NUL.
  size_t n = 0;
  while (n < plen && raw[kUnixPathOffset + n] != '\0') ++n;
  memcpy(out->path, raw + kUnixPathOffset, n);
  out->path[n] = '\0';
  out->len = static_cast<uint8_t>(n + 1);
  return 0;
}

long unix_bind(UnixSocket* s, const UnixAddr& a) {
  if (a.len == 0) {
    if (s->m_addr.len != 0) return -EINVAL;
    return autobind(s);
  }
  if (a.abstract()) {
    if (s->m_addr.len != 0) return -EINVAL;
    if (find_abstract(a) != nullptr) return -EADDRINUSE;
    s->m_addr = a;
    s->m_owns_name = true;
    return 0;
  }
  // unix_bind_bsd: the node is made first, so an existing name is
  // EADDRINUSE even for a socket that is already bound (then EINVAL).
  fs::Walk w;
  if (long err = fs::path_walk(uapi::AT_FDCWD, a.path, fs::Follow::never, &w); err < 0) return err;
  if (w.node != nullptr || w.type != fs::LastType::normal) return -EADDRINUSE;
  if (s->m_addr.len != 0) return -EINVAL;
  if (w.parent->read_only()) return -EROFS;
  fs::Vnode* node = nullptr;
  uint32_t mode = uapi::S_IFSOCK | (0777 & ~fs::umask_value());
  if (long err = w.parent->mknod(w.last, w.last_len, mode, &node); err < 0) return err;
  node->ref();
  s->m_node = node;
  s->m_addr = a;
  s->m_owns_name = true;
  return 0;
}

long unix_find(const UnixAddr& a, int type, UnixSocket** out) {
  UnixSocket* found = nullptr;
  if (a.abstract()) {
    found = find_abstract(a);
  } else {
    // unix_find_bsd: the path must exist (its errors as a lookup's), be a
    // socket, and have a live socket behind it.
    fs::Vnode* node = nullptr;
    if (long err = fs::path_lookup(uapi::AT_FDCWD, a.path, true, &node); err < 0) return err;
    if ((node->m_mode & uapi::S_IFMT) != uapi::S_IFSOCK) return -ECONNREFUSED;
    for (UnixSocket* s = unix_first(); s != nullptr; s = s->m_live_next) {
      if (s->m_owns_name && s->m_node == node) {
        found = s;
        break;
      }
    }
  }
  if (found == nullptr) return -ECONNREFUSED;
  if (found->m_type != type) return -EPROTOTYPE;
  *out = found;
  return 0;
}

void unix_put_addr(void* addr, int* addrlen, const UnixAddr& a) {
  char raw[kUnixPathOffset + kUnixPathMax + 1] = {};
  raw[0] = static_cast<char>(uapi::AF_UNIX);
  memcpy(raw + kUnixPathOffset, a.path, a.len);
  int full = static_cast<int>(kUnixPathOffset + a.len);
  size_t n = *addrlen < full ? static_cast<size_t>(*addrlen) : static_cast<size_t>(full);
  memcpy(addr, raw, n);
  *addrlen = full;
}

}  // namespace libos::net
