// Channel's life: creating the region and its descriptors, handing them to
// shoal-vmm, tearing them down.
#include "pool/channel/channel.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <utility>

namespace shoal::pool {
namespace {

using namespace shoal::abi;

bool valid_service_name(const std::string& name) {
  if (name.empty() || name.size() >= kServiceNameMax) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

Result<void> check_config(const ChannelConfig& c) {
  if (!channel_slot_count_valid(c.slot_count))
    return make_error("channel: slot count " + std::to_string(c.slot_count) + " must be even, 2.." +
                          std::to_string(kMaxChannelSlots),
                      EINVAL);
  if (!channel_ring_size_valid(c.ring_size))
    return make_error("channel: ring size " + std::to_string(c.ring_size) + " must be a power of two, " +
                          std::to_string(kMinRingSize) + ".." + std::to_string(kMaxRingSize),
                      EINVAL);
  if (channel_region_size(c.slot_count, c.ring_size) > kMaxChannelRegionSize)
    return make_error("channel: " + std::to_string(c.slot_count) + " slots of 2 x " +
                          std::to_string(c.ring_size) + " bytes exceed the " +
                          std::to_string(kMaxChannelRegionSize >> 20) + " MiB limit",
                      EINVAL);
  if (c.services.size() > kMaxServices)
    return make_error("channel: " + std::to_string(c.services.size()) + " services, at most " +
                          std::to_string(kMaxServices),
                      EINVAL);
  for (const auto& s : c.services)
    if (!valid_service_name(s.name))
      return make_error("channel: service name '" + s.name + "' must be 1-" +
                            std::to_string(kServiceNameMax - 1) + " characters of [a-z0-9-]",
                        EINVAL);
  return {};
}

}  // namespace

Result<Channel> Channel::create(const ChannelConfig& config) {
  TRY(check_config(config));
  Channel ch;
  uint64_t size = channel_region_size(config.slot_count, config.ring_size);
  ch.m_memfd = memfd_create("shoal-channel", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (ch.m_memfd < 0) return errno_error("channel: memfd_create");
  if (ftruncate(ch.m_memfd, static_cast<off_t>(size)) < 0) return errno_error("channel: ftruncate");
  // Sealed: neither side (nor a bug here) can shrink the file under the
  // monitor's mapping, which would turn its next access into SIGBUS.
  if (fcntl(ch.m_memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
    return errno_error("channel: sealing the memfd");
  ch.m_to_host_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ch.m_to_host_fd < 0) return errno_error("channel: eventfd");
  ch.m_to_guest_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ch.m_to_guest_fd < 0) return errno_error("channel: eventfd");
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, ch.m_memfd, 0);
  if (base == MAP_FAILED) return errno_error("channel: mmap");
  if (!channel_view_make(&ch.m_view, base, size, config.slot_count, config.ring_size)) {
    munmap(base, size);
    return make_error("channel: inconsistent geometry", EINVAL);
  }
  ch.m_header = channel_header(&ch.m_view);
  // The file is fresh, so every byte is zero: only the header needs writing,
  // and the magic goes last so a reader never sees a half-written header.
  ChannelHeader& h = *ch.m_header;
  h.version = kChannelVersion;
  h.slot_count = config.slot_count;
  h.ring_size = config.ring_size;
  h.service_count = static_cast<uint32_t>(config.services.size());
  h.data_offset = channel_data_offset(config.slot_count);
  h.region_size = size;
  for (size_t i = 0; i < config.services.size(); ++i) {
    // SAFETY: the name was checked to be shorter than the field; the rest of
    // the field is already zero (NUL-terminated).
    memcpy(h.services[i].name, config.services[i].name.data(), config.services[i].name.size());
    h.services[i].ipv4 = config.services[i].ipv4;
  }
  __atomic_store_n(&h.magic, kChannelMagic, __ATOMIC_RELEASE);
  ch.m_service_count = static_cast<uint32_t>(config.services.size());
  ch.m_slots.assign(config.slot_count, SlotShadow{});
  ch.m_active.reserve(config.slot_count);
  return ch;
}

Channel::Channel(Channel&& other) noexcept { *this = std::move(other); }

Channel& Channel::operator=(Channel&& other) noexcept {
  if (this == &other) return *this;
  release_resources();
  m_view = std::exchange(other.m_view, ChannelView{});
  m_header = std::exchange(other.m_header, nullptr);
  m_memfd = std::exchange(other.m_memfd, -1);
  m_to_host_fd = std::exchange(other.m_to_host_fd, -1);
  m_to_guest_fd = std::exchange(other.m_to_guest_fd, -1);
  m_slots = std::move(other.m_slots);
  m_active = std::move(other.m_active);
  m_open_cursor = other.m_open_cursor;
  m_guest_cursor = other.m_guest_cursor;
  m_seen_guest_events = other.m_seen_guest_events;
  m_service_count = other.m_service_count;
  m_dirty = other.m_dirty;
  m_kicks_sent = other.m_kicks_sent;
  m_guest_kick_hook = std::move(other.m_guest_kick_hook);
  other.m_slots.clear();
  other.m_active.clear();
  return *this;
}

Channel::~Channel() { release_resources(); }

void Channel::release_resources() {
  if (m_view.base) munmap(m_view.base, m_view.size);
  if (m_memfd >= 0) ::close(m_memfd);
  if (m_to_host_fd >= 0) ::close(m_to_host_fd);
  if (m_to_guest_fd >= 0) ::close(m_to_guest_fd);
  m_view = ChannelView{};
  m_header = nullptr;
  m_memfd = m_to_host_fd = m_to_guest_fd = -1;
}

std::string Channel::vmm_argument() const {
  return std::to_string(m_memfd) + "," + std::to_string(m_to_host_fd) + "," + std::to_string(m_to_guest_fd);
}

bool Channel::clear_cloexec() const {
  bool ok = true;
  for (int fd : {m_memfd, m_to_host_fd, m_to_guest_fd}) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0) ok = false;
  }
  return ok;
}

void Channel::drop_to_host_fd() {
  if (m_to_host_fd >= 0) ::close(m_to_host_fd);
  m_to_host_fd = -1;
}

void Channel::drop_memfd() {
  if (m_memfd >= 0) ::close(m_memfd);
  m_memfd = -1;
}

}  // namespace shoal::pool
