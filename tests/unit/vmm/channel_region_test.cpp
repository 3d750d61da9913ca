// The monitor's side of the channel: header validation, the memfd checks
// before mapping, and the `block` wait on the wake eventfd.
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <shoal/abi/channel.h>

#include "block_wait.hpp"
#include "devices/channel/channel_region.hpp"

using namespace shoal;
using namespace shoal::vmm;
namespace sabi = shoal::abi;

namespace {

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

sabi::ChannelHeader good_header(uint32_t slots = 4, uint32_t ring = 4096) {
  sabi::ChannelHeader h{};
  h.magic = sabi::kChannelMagic;
  h.version = sabi::kChannelVersion;
  h.slot_count = slots;
  h.ring_size = ring;
  h.data_offset = sabi::channel_data_offset(slots);
  h.region_size = sabi::channel_region_size(slots, ring);
  return h;
}

// A buffer holding a header, sized as the header says.
struct Region {
  std::vector<uint8_t> bytes;
  explicit Region(const sabi::ChannelHeader& h, uint64_t size = 0)
      : bytes(size            ? size
              : h.region_size ? h.region_size
                              : sabi::kChannelHeaderSize) {
    memcpy(bytes.data(), &h, sizeof h);
  }
  Result<void> validate() const { return validate_channel_header(bytes.data(), bytes.size()); }
};

// A sealed memfd holding a valid region; fds closed by the destructor.
struct MemfdRegion {
  int memfd = -1;
  explicit MemfdRegion(const sabi::ChannelHeader& h, bool seal = true, uint64_t size = 0) {
    memfd = memfd_create("channel-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    uint64_t n = size ? size : h.region_size;
    EXPECT_EQ(ftruncate(memfd, static_cast<off_t>(n)), 0);
    EXPECT_EQ(pwrite(memfd, &h, sizeof h, 0), static_cast<ssize_t>(sizeof h));
    if (seal) {
      EXPECT_EQ(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
    }
  }
  ~MemfdRegion() { close(memfd); }
};

TEST(ChannelHeader, AcceptsAValidRegion) {
  EXPECT_TRUE(Region(good_header()).validate().ok());
  EXPECT_TRUE(Region(good_header(sabi::kDefaultChannelSlots, sabi::kDefaultRingSize)).validate().ok());
}

TEST(ChannelHeader, RejectsEachBadField) {
  auto expect_bad = [](sabi::ChannelHeader h, const char* needle, uint64_t size = 0) {
    auto r = Region(h, size).validate();
    ASSERT_FALSE(r.ok()) << needle;
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  };
  auto h = good_header();
  h.magic ^= 1;
  expect_bad(h, "magic");
  h = good_header();
  h.version = 99;
  expect_bad(h, "version");
  h = good_header();
  h.slot_count = 3;
  expect_bad(h, "slot count");
  h.slot_count = 0;
  expect_bad(h, "slot count");
  h.slot_count = sabi::kMaxChannelSlots + 2;
  expect_bad(h, "slot count");
  h = good_header();
  h.ring_size = 5000;
  expect_bad(h, "ring size");
  h.ring_size = 2048;
  expect_bad(h, "ring size");
  h = good_header();
  h.service_count = sabi::kMaxServices + 1;
  expect_bad(h, "services");
  h = good_header();
  h.data_offset += 4096;
  expect_bad(h, "data offset");
  h = good_header();
  h.region_size += 4096;
  expect_bad(h, "region size");
  // A region larger than its header says is refused too: the monitor maps
  // exactly what the guest is told about.
  expect_bad(good_header(), "region size", good_header().region_size + 4096);
  // Too small to hold even the header.
  auto tiny = validate_channel_header(Region(good_header()).bytes.data(), 100);
  EXPECT_FALSE(tiny.ok());
}

TEST(ChannelHeader, RejectsRegionsOverTheLimit) {
  // 256 slots x 2 x 1 MiB rings: far over kMaxChannelRegionSize.
  auto h = good_header(sabi::kMaxChannelSlots, sabi::kMaxRingSize);
  uint8_t page[sabi::kChannelHeaderSize] = {};
  memcpy(page, &h, sizeof h);
  // Claim the whole size is mapped: the check must not read past the header.
  auto r = validate_channel_header(page, h.region_size);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("region size"), std::string::npos) << r.error().message;
}

TEST(ChannelRegionOpen, MapsASealedMemfd) {
  MemfdRegion m(good_header());
  int to_host = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  int to_guest = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  {
    auto r = ChannelRegion::open({m.memfd, to_host, to_guest});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->size(), good_header().region_size);
    EXPECT_EQ(r->wake_fd(), to_guest);
    // MAP_SHARED: the monitor's mapping sees the memfd's bytes.
    auto* h = static_cast<sabi::ChannelHeader*>(r->host_base());
    EXPECT_EQ(h->magic, sabi::kChannelMagic);
  }
  close(to_host);
  close(to_guest);
}

TEST(ChannelRegionOpen, RefusesUnsealedOddOrWrongDescriptors) {
  int to_host = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  int to_guest = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  {
    MemfdRegion unsealed(good_header(), false);
    auto r = ChannelRegion::open({unsealed.memfd, to_host, to_guest});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("F_SEAL_SHRINK"), std::string::npos) << r.error().message;
  }
  {
    MemfdRegion odd(good_header(), true, good_header().region_size + 100);
    auto r = ChannelRegion::open({odd.memfd, to_host, to_guest});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("page multiple"), std::string::npos) << r.error().message;
  }
  {
    auto bad = good_header();
    bad.magic = 0;
    MemfdRegion m(bad);
    EXPECT_FALSE(ChannelRegion::open({m.memfd, to_host, to_guest}).ok());
  }
  {
    MemfdRegion m(good_header());
    int pipefd[2];
    ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
    auto r = ChannelRegion::open({m.memfd, to_host, pipefd[0]});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not an eventfd"), std::string::npos) << r.error().message;
    close(pipefd[0]);
    close(pipefd[1]);
    EXPECT_FALSE(ChannelRegion::open({m.memfd, to_host, 1000}).ok());      // not open
    EXPECT_FALSE(ChannelRegion::open({to_guest, to_host, m.memfd}).ok());  // an eventfd is no region
  }
  close(to_host);
  close(to_guest);
}

TEST(WaitForWake, DeadlinePassesWithoutAKick) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  uint64_t t0 = now_ns();
  EXPECT_TRUE(wait_for_wake(fd, 20'000'000, [] { return false; }));
  EXPECT_GE(now_ns() - t0, 20'000'000u);
  close(fd);
}

TEST(WaitForWake, AKickEndsTheWaitEarlyAndIsDrained) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  uint64_t one = 1;
  ASSERT_EQ(write(fd, &one, sizeof one), 8);
  ASSERT_EQ(write(fd, &one, sizeof one), 8);  // two kicks coalesce
  uint64_t t0 = now_ns();
  EXPECT_TRUE(wait_for_wake(fd, 5'000'000'000ull, [] { return false; }));
  EXPECT_LT(now_ns() - t0, 1'000'000'000u);
  // Drained: the counter is empty, so the next wait sleeps its full deadline.
  uint64_t v;
  EXPECT_EQ(read(fd, &v, sizeof v), -1);
  EXPECT_EQ(errno, EAGAIN);
  close(fd);
}

TEST(WaitForWake, NoDeadlineWaitsForAKickFromAnotherThread) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  pid_t pid = fork();
  if (pid == 0) {
    usleep(30000);
    uint64_t one = 1;
    (void)!write(fd, &one, sizeof one);
    _exit(0);
  }
  uint64_t t0 = now_ns();
  EXPECT_TRUE(wait_for_wake(fd, UINT64_MAX, [] { return false; }));
  EXPECT_GE(now_ns() - t0, 20'000'000u);
  int st;
  waitpid(pid, &st, 0);
  close(fd);
}

}  // namespace
