// The channel under the real shoal-vmm (needs /dev/kvm): hand-made guests that
// see the region at kChannelAddr, kick the host through the ioeventfd, and
// block with no deadline until the host wakes them.
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <shoal/abi/channel.h>

#include "test_image.hpp"

using namespace shoal;
using namespace shoal::vmm::test;
namespace sabi = shoal::abi;
using sabi::Hypercall;

namespace {

constexpr uint32_t kSlots = 2;
constexpr uint32_t kRing = 4096;
constexpr uint64_t kRegion = sabi::channel_region_size(kSlots, kRing);
// Where the guests write and read: the first ring's data.
constexpr uint32_t kGuestWord = static_cast<uint32_t>(sabi::channel_data_offset(kSlots));
constexpr uint32_t kHostWord = kGuestWord + 4;
constexpr uint32_t kGuestValue = 0x5ca1ab1e;

// A sealed memfd with a valid header and the two eventfds, all inheritable
// (no CLOEXEC): the monitor gets them through fork + exec.
struct TestChannel {
  int memfd = -1, to_host = -1, to_guest = -1;
  uint8_t* base = nullptr;

  TestChannel() {
    memfd = memfd_create("channel-boot-test", MFD_ALLOW_SEALING);
    EXPECT_EQ(ftruncate(memfd, kRegion), 0);
    EXPECT_EQ(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
    void* p = mmap(nullptr, kRegion, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    EXPECT_NE(p, MAP_FAILED);
    base = static_cast<uint8_t*>(p);
    sabi::ChannelHeader h{};
    h.magic = sabi::kChannelMagic;
    h.version = sabi::kChannelVersion;
    h.slot_count = kSlots;
    h.ring_size = kRing;
    h.data_offset = sabi::channel_data_offset(kSlots);
    h.region_size = kRegion;
    memcpy(base, &h, sizeof h);
    to_host = eventfd(0, EFD_NONBLOCK);
    to_guest = eventfd(0, EFD_NONBLOCK);
  }
  ~TestChannel() {
    munmap(base, kRegion);
    close(memfd);
    close(to_host);
    close(to_guest);
  }
  std::string option() const {
    return std::to_string(memfd) + "," + std::to_string(to_host) + "," + std::to_string(to_guest);
  }
  uint32_t word(uint32_t off) const {
    return __atomic_load_n(reinterpret_cast<uint32_t*>(base + off), __ATOMIC_ACQUIRE);
  }
  void set_word(uint32_t off, uint32_t v) {
    __atomic_store_n(reinterpret_cast<uint32_t*>(base + off), v, __ATOMIC_RELEASE);
  }
};

struct Instance {
  pid_t pid = -1;
  std::string image, err_path;
  int status = -1;
  std::string err;

  void start(const TestGuest& g, const std::vector<std::string>& opts) {
    static int counter = 0;
    std::string base =
        "/tmp/shoal-vmm-chan-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    image = base + ".shoal";
    err_path = base + ".err";
    auto w = g.write(image);
    ASSERT_TRUE(w.ok()) << w.error().message;
    std::vector<std::string> argv{SHOAL_VMM_PATH};
    bool has_timeout = false;
    for (const auto& o : opts) has_timeout |= o == "--timeout";
    if (!has_timeout) argv.insert(argv.end(), {"--timeout", "20"});  // a hung test still ends
    argv.insert(argv.end(), opts.begin(), opts.end());
    argv.push_back(image);
    pid = fork();
    if (pid == 0) {
      int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int in = open("/dev/null", O_RDONLY);
      dup2(in, 0);
      dup2(err, 1);
      dup2(err, 2);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
  }
  void wait() {
    int st = 0;
    waitpid(pid, &st, 0);
    status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    FILE* f = fopen(err_path.c_str(), "r");
    if (f) {
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, f)) > 0) err.append(buf, n);
      fclose(f);
    }
    unlink(err_path.c_str());
    unlink(image.c_str());
  }
};

bool readable_within(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

// Guest: checks BootInfo's channel_addr/size, writes kGuestValue at
// kGuestWord, kicks (outl to kChannelKickPort), then blocks with no deadline
// until kHostWord is non-zero and exits with it. Exits 3 if BootInfo is wrong.
TestGuest kick_and_wait_guest() {
  TestGuest g;
  size_t fail_jumps[2];
  g.emit({0x48, 0x8b, 0x87}).emit32(offsetof(sabi::BootInfo, channel_addr));  // mov channel_addr(%rdi),%rax
  g.emit({0x48, 0xbb}).emit64(sabi::kChannelAddr);                            // movabs $kChannelAddr,%rbx
  g.emit({0x48, 0x39, 0xd8});                                                 // cmp %rbx,%rax
  g.emit({0x75, 0x00});                                                       // jne fail
  fail_jumps[0] = g.code.size();
  g.emit({0x48, 0x8b, 0x87}).emit32(offsetof(sabi::BootInfo, channel_size));  // mov channel_size(%rdi),%rax
  g.emit({0x48, 0x3d}).emit32(static_cast<uint32_t>(kRegion));                // cmp $kRegion,%rax
  g.emit({0x75, 0x00});                                                       // jne fail
  fail_jumps[1] = g.code.size();
  g.emit({0xc7, 0x83}).emit32(kGuestWord).emit32(kGuestValue);  // movl $v, kGuestWord(%rbx)
  g.emit({0x66, 0xba, static_cast<uint8_t>(sabi::kChannelKickPort),
          static_cast<uint8_t>(sabi::kChannelKickPort >> 8)});
  g.emit({0xef});  // out %eax,%dx: the kick
  size_t loop = g.code.size();
  g.put(kData + 0x100, sabi::HcBlock{UINT64_MAX, 0});
  g.hypercall(Hypercall::block, static_cast<uint32_t>(kData + 0x100));
  g.emit({0x8b, 0x8b}).emit32(kHostWord);                            // mov kHostWord(%rbx),%ecx
  g.emit({0x85, 0xc9});                                              // test %ecx,%ecx
  g.emit({0x74, static_cast<uint8_t>(loop - (g.code.size() + 2))});  // jz loop
  g.emit({0x89, 0x0c, 0x25}).emit32(static_cast<uint32_t>(kData));   // mov %ecx, HcExit.status
  g.hypercall(Hypercall::exit, static_cast<uint32_t>(kData));
  g.emit({0xeb, 0xfe});
  for (size_t at : fail_jumps) g.code[at - 1] = static_cast<uint8_t>(g.code.size() - at);
  g.put(kData + 0x200, sabi::HcExit{3, 0});
  g.hypercall(Hypercall::exit, static_cast<uint32_t>(kData + 0x200));
  g.emit({0xeb, 0xfe});
  return g;
}

TEST(ChannelBoot, KickReachesTheHostAndTheHostWakesABlockedGuest) {
  TestChannel ch;
  Instance vm;
  vm.start(kick_and_wait_guest(), {"--channel", ch.option()});
  // The guest's outl signals to_host in the kernel (ioeventfd).
  bool kicked = readable_within(ch.to_host, 10000);
  EXPECT_TRUE(kicked);
  EXPECT_EQ(ch.word(kGuestWord), kGuestValue);
  // Let the guest reach its no-deadline block (not a deadlock: a channel exists).
  usleep(50000);
  ch.set_word(kHostWord, 42);
  uint64_t one = 1;
  ASSERT_EQ(write(ch.to_guest, &one, sizeof one), 8);
  vm.wait();
  EXPECT_EQ(vm.status, 42) << vm.err;
}

TEST(ChannelBoot, TimeoutEndsAWaitWithNoDeadline) {
  // Blocked with no deadline and never kicked: --timeout still ends it.
  TestChannel ch;
  TestGuest g;
  g.put(kData + 0x100, sabi::HcBlock{UINT64_MAX, 0});
  g.hypercall(Hypercall::block, static_cast<uint32_t>(kData + 0x100));
  g.exit(0);
  Instance vm;
  vm.start(g, {"--timeout", "0.3", "--channel", ch.option()});
  vm.wait();
  EXPECT_EQ(vm.status, 124) << vm.err;
  EXPECT_NE(vm.err.find("timeout"), std::string::npos) << vm.err;
}

TEST(ChannelBoot, GuestCannotExecuteFromTheRegion) {
  TestChannel ch;
  TestGuest g;
  g.emit({0x48, 0xb8}).emit64(sabi::kChannelAddr + kGuestWord);  // movabs $addr,%rax
  g.emit({0xc6, 0x00, 0xc3});                                    // movb $0xc3 (ret), (%rax): writable
  g.emit({0xff, 0xe0});                                          // jmp *%rax: never executable
  Instance vm;
  vm.start(g, {"--channel", ch.option()});
  vm.wait();
  EXPECT_EQ(vm.status, 139) << vm.err;
  EXPECT_EQ(ch.word(kGuestWord) & 0xff, 0xc3u);
}

TEST(ChannelBoot, KickWithoutAChannelIsReported) {
  TestGuest g;
  g.emit({0x66, 0xba, static_cast<uint8_t>(sabi::kChannelKickPort),
          static_cast<uint8_t>(sabi::kChannelKickPort >> 8)});
  g.emit({0xef});
  g.exit(0);
  Instance vm;
  vm.start(g, {});
  vm.wait();
  EXPECT_EQ(vm.status, 139) << vm.err;
  EXPECT_NE(vm.err.find("0x530"), std::string::npos) << vm.err;
}

TEST(ChannelBoot, BlockForeverWithoutAChannelIsStillADeadlock) {
  TestGuest g;
  g.put(kData + 0x100, sabi::HcBlock{UINT64_MAX, 0});
  g.hypercall(Hypercall::block, static_cast<uint32_t>(kData + 0x100));
  g.exit(0);
  Instance vm;
  vm.start(g, {});
  vm.wait();
  EXPECT_EQ(vm.status, 134) << vm.err;
  EXPECT_NE(vm.err.find("deadlock"), std::string::npos) << vm.err;
}

TEST(ChannelBoot, BadRegionIsAClearMonitorError) {
  TestChannel ch;
  ch.set_word(0, 0);  // breaks the magic
  TestGuest g;
  g.exit(0);
  Instance vm;
  vm.start(g, {"--channel", ch.option()});
  vm.wait();
  EXPECT_EQ(vm.status, 1) << vm.err;
  EXPECT_NE(vm.err.find("magic"), std::string::npos) << vm.err;
}

}  // namespace
