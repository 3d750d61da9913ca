// libFuzzer target: the host channel library (pool/channel) against a guest
// that writes anything anywhere. The input is a program of host operations
// interleaved with writes of fuzzer bytes into the region (through a second
// mapping, as the guest's). Whatever the guest writes, the host library must
// not crash, hang, or touch memory outside the region; ASan and UBSan watch.
//
// Input layout (little-endian; missing bytes read as zero), repeated until
// the input ends (at most kMaxSteps):
//   u8 op, u8 slot, u16 arg, then for op kPoke: u16 offset (scaled to the
//   whole region), u8 len (<= 32), len bytes.
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <vector>

#include "pool/channel/channel.hpp"
#include "shoal/abi/channel_ops.h"

namespace {

using namespace shoal;
using namespace shoal::pool;

constexpr int kMaxSteps = 4096;

class Input {
 public:
  Input(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}
  template <typename T>
  T take() {
    T v{};
    size_t n = m_size - m_pos < sizeof(T) ? m_size - m_pos : sizeof(T);
    if (n) memcpy(&v, m_data + m_pos, n);
    m_pos += n;
    return v;
  }
  const uint8_t* bytes(size_t* len) {
    if (*len > m_size - m_pos) *len = m_size - m_pos;
    const uint8_t* p = m_data + m_pos;
    m_pos += *len;
    return p;
  }
  bool done() const { return m_pos >= m_size; }

 private:
  const uint8_t* m_data;
  size_t m_size;
  size_t m_pos = 0;
};

enum Op : uint8_t {
  kOpen,
  kWrite,
  kRead,
  kClose,
  kReset,
  kShutdown,
  kNextGuestOpen,
  kAccept,
  kRefuse,
  kCollect,
  kStatus,
  kSleep,
  kCancel,
  kListen,
  kGuestAccept,
  kPoke,
  kOpCount
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ChannelConfig config;
  config.slot_count = 8;
  config.ring_size = 4096;
  config.services = {{"a", 1}, {"b", 2}};
  auto made = Channel::create(config);
  if (!made.ok()) __builtin_trap();  // the environment, not the input
  Channel& ch = made.value();
  uint64_t region = ch.region_size();
  void* guest_map = mmap(nullptr, region, PROT_READ | PROT_WRITE, MAP_SHARED, ch.fds().memfd, 0);
  if (guest_map == MAP_FAILED) __builtin_trap();
  uint8_t* guest = static_cast<uint8_t*>(guest_map);
  shoal::abi::ChannelView gview;
  if (!shoal::abi::channel_view_from_header(&gview, guest, region)) __builtin_trap();

  static uint8_t payload[8192];
  static uint8_t buf[8192];
  std::vector<uint32_t> ready;
  Input in(data, size);
  for (int step = 0; step < kMaxSteps && !in.done(); ++step) {
    uint8_t op = in.take<uint8_t>() % kOpCount;
    uint32_t slot = in.take<uint8_t>() % 12;  // some out of range
    uint16_t arg = in.take<uint16_t>();
    switch (op) {
      case kOpen:
        (void)ch.open(arg, arg * 7u, arg);
        break;
      case kWrite:
        (void)ch.write(slot, {payload, arg % sizeof payload});
        break;
      case kRead:
        (void)ch.read(slot, {buf, arg % sizeof buf});
        break;
      case kClose:
        ch.close(slot);
        break;
      case kReset:
        ch.reset(slot);
        break;
      case kShutdown:
        (void)ch.shutdown_write(slot);
        break;
      case kNextGuestOpen:
        (void)ch.next_guest_open();
        break;
      case kAccept:
        (void)ch.accept(slot);
        break;
      case kRefuse:
        (void)ch.refuse(slot);
        break;
      case kCollect:
        ready.clear();
        (void)ch.changed();
        ch.collect(ready);
        for (uint32_t s : ready)
          if (s >= ch.slot_count()) __builtin_trap();  // collect reported a slot that does not exist
        break;
      case kStatus: {
        ConnStatus st = ch.status(slot);
        if (st.readable > ch.ring_size() || st.writable > ch.ring_size()) __builtin_trap();
        break;
      }
      case kSleep:
        ch.flush();
        (void)ch.prepare_sleep();
        ch.finish_sleep();
        break;
      case kCancel:
        (void)ch.cancel_if_unaccepted(slot);
        break;
      case kListen:
        (void)ch.listening(arg);
        (void)ch.listen_ports();
        break;
      case kGuestAccept: {
        // A well-behaved guest step, so the fuzzer reaches the open states.
        auto* s = shoal::abi::channel_slot(&gview, slot % 8);
        if (arg & 1)
          shoal::abi::slot_accept(s);
        else
          shoal::abi::slot_refuse(s);
        shoal::abi::channel_bump_events(shoal::abi::channel_header(&gview), shoal::abi::kSideGuest);
        break;
      }
      case kPoke: {
        uint64_t offset = uint64_t{in.take<uint16_t>()} * region / 65536;
        size_t len = in.take<uint8_t>() % 33;
        const uint8_t* bytes = in.bytes(&len);
        if (offset + len > region) len = static_cast<size_t>(region - offset);
        memcpy(guest + offset, bytes, len);
        break;
      }
      default:
        break;
    }
  }
  munmap(guest_map, region);
  return 0;
}
