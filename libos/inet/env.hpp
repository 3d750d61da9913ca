// What the network stack (libos/inet) needs from its surroundings, so the
// same sources build into the LibOS (freestanding) and into host programs
// (unit tests, the packet fuzzer) with SHOAL_INET_HOST defined: memory,
// byte copies and Linux errno values. Nothing else of the LibOS is used in
// libos/inet; the LibOS glue (sockets, the device driver) lives outside it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "uapi/poll.hpp"

#if defined(SHOAL_INET_HOST)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
namespace libos::inet {
inline void* mem_alloc(size_t n) { return calloc(1, n); }  // zeroed, nullptr when out of memory
inline void* mem_alloc_raw(size_t n) { return malloc(n); }  // not zeroed: buffers written before read
inline void mem_free(void* p) { free(p); }
}  // namespace libos::inet
#else
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
namespace libos::inet {
inline void* mem_alloc(size_t n) { return kzalloc(n); }
inline void* mem_alloc_raw(size_t n) { return kmalloc(n); }
inline void mem_free(void* p) { kfree(p); }
}  // namespace libos::inet
#endif

#include <new>

namespace libos::inet {

// Objects with constructors in mem_alloc'd memory (there is no global
// operator new in the LibOS). nullptr when out of memory.
template <typename T, typename... Args>
T* create(Args&&... args) {
  void* mem = mem_alloc(sizeof(T));
  if (mem == nullptr) return nullptr;
  return new (mem) T(static_cast<Args&&>(args)...);
}

template <typename T>
void destroy(T* obj) {
  if (obj == nullptr) return;
  obj->~T();
  mem_free(obj);
}

inline constexpr uint64_t kNever = ~uint64_t{0};  // "no deadline"

// Byte order: addresses and ports cross the API in network byte order only
// where a comment says so; everything else is host order.
inline uint16_t ntoh16(uint16_t v) { return static_cast<uint16_t>((v >> 8) | (v << 8)); }
inline uint16_t hton16(uint16_t v) { return ntoh16(v); }
inline uint32_t ntoh32(uint32_t v) { return __builtin_bswap32(v); }
inline uint32_t hton32(uint32_t v) { return __builtin_bswap32(v); }

// Poll bits as Linux numbers them (uapi/poll.hpp; the socket glue passes them through),
// as the unsigned masks the stack computes with.
inline constexpr uint32_t kPollIn = uint16_t(uapi::POLLIN), kPollPri = uint16_t(uapi::POLLPRI),
                          kPollOut = uint16_t(uapi::POLLOUT), kPollErr = uint16_t(uapi::POLLERR),
                          kPollHup = uint16_t(uapi::POLLHUP), kPollRdNorm = uint16_t(uapi::POLLRDNORM),
                          kPollWrNorm = uint16_t(uapi::POLLWRNORM), kPollRdHup = uint16_t(uapi::POLLRDHUP);

}  // namespace libos::inet
