// The monitor's confinement, observed from outside while a guest runs
// (needs /dev/kvm and root): inherited descriptors closed, no capabilities,
// an unprivileged uid, its own namespaces and an empty root (jail.hpp,
// docs/security.md); and images with writable+executable sections refused
// by the monitor itself unless the image declares them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "confinement.hpp"
#include "test_image.hpp"

using namespace shoal;
using namespace shoal::vmm::test;
using shoal::abi::Hypercall;

namespace {

std::string temp_base() {
  static int counter = 0;
  return "/tmp/shoal-jail-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// A guest that blocks for 30 s, then exits 0: long enough to inspect.
TestGuest sleeper() {
  TestGuest g;
  g.put(kData + 0x100, shoal::abi::HcBlock{30'000'000'000ull, 0});
  g.hypercall(Hypercall::block, kData + 0x100);
  g.exit(0);
  return g;
}

// shoal-vmm on `image`, started the way a careless launcher would: with a
// file open without close-on-exec at fd 10 and a pipe at fd 251 (what pool
// instances were seen to inherit). Killed and reaped on destruction.
struct Monitor {
  pid_t pid = -1;
  std::string base = temp_base();
  std::string marker = base + ".marker";
  ino_t pipe_inode = 0;

  Monitor(const std::string& image, std::vector<std::string> opts) {
    int file = open(marker.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);  // no O_CLOEXEC
    int p[2];
    EXPECT_EQ(pipe(p), 0);
    struct stat st;
    fstat(p[0], &st);
    pipe_inode = st.st_ino;
    std::vector<std::string> argv{SHOAL_VMM_PATH, "--timeout", "20"};
    argv.insert(argv.end(), opts.begin(), opts.end());
    argv.push_back(image);
    pid = fork();
    if (pid == 0) {
      int out = open((base + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = open((base + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int in = open("/dev/null", O_RDONLY);
      dup2(in, 0);
      dup2(out, 1);
      dup2(err, 2);
      dup2(file, 10);
      dup2(p[0], 251);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
    close(file);
    close(p[0]);
    close(p[1]);
  }
  ~Monitor() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    for (const char* ext : {".marker", ".out", ".err"}) unlink((base + ext).c_str());
  }
  std::string err() const { return slurp(base + ".err"); }
};

struct Image {
  std::string path = temp_base() + ".shoal";
  explicit Image(const TestGuest& g) {
    auto w = g.write(path);
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().message);
  }
  ~Image() { unlink(path.c_str()); }
};

bool am_root() { return geteuid() == 0; }

TEST(MonitorJail, InheritedDescriptorsAreClosed) {
  Image image(sleeper());
  Monitor m(image.path, {});
  ASSERT_TRUE(test::wait_until_confined(m.pid, 10000)) << m.err();
  auto fds = test::proc_fds(m.pid);
  std::string pipe_name = "pipe:[" + std::to_string(m.pipe_inode) + "]";
  for (const auto& [fd, target] : fds) {
    EXPECT_NE(target, m.marker) << "fd " << fd << " is the launcher's file:\n" << test::describe(fds);
    EXPECT_NE(target, pipe_name) << "fd " << fd << " is the launcher's pipe:\n" << test::describe(fds);
    // Beyond the console, only what the monitor opened itself: /dev/kvm, the
    // VM and the vCPU.
    if (fd > 2) {
      EXPECT_TRUE(target.find("kvm") != std::string::npos) << "unexpected fd " << fd << ":\n"
                                                           << test::describe(fds);
    }
  }
  EXPECT_EQ(fds.count(10), 0u) << test::describe(fds);
  EXPECT_EQ(fds.count(251), 0u) << test::describe(fds);
}

TEST(MonitorJail, RunningMonitorHasNoPrivileges) {
  ASSERT_TRUE(am_root()) << "the jail tests run as root (as the suite does)";
  Image image(sleeper());
  Monitor m(image.path, {});
  ASSERT_TRUE(test::wait_until_confined(m.pid, 10000)) << m.err();
  // The default identity: nobody/nogroup here (65534 where absent).
  test::expect_confined(m.pid, 65534, 65534);
}

TEST(MonitorJail, UserOptionChoosesTheIdentity) {
  Image image(sleeper());
  Monitor m(image.path, {"--user", "4242:4343"});
  ASSERT_TRUE(test::wait_until_confined(m.pid, 10000)) << m.err();
  test::expect_confined(m.pid, 4242, 4343);
}

TEST(MonitorJail, NoJailKeepsTheLaunchersIdentityButNotItsDescriptors) {
  Image image(sleeper());
  Monitor m(image.path, {"--no-jail"});
  ASSERT_TRUE(test::wait_until_confined(m.pid, 10000)) << m.err();
  auto st = test::proc_status(m.pid);
  EXPECT_EQ(st["Uid"], "0\t0\t0\t0");
  EXPECT_NE(st["CapEff"], "0000000000000000");
  EXPECT_EQ(st["Seccomp"], "2");  // seccomp is never optional
  EXPECT_EQ(test::read_link("/proc/" + std::to_string(m.pid) + "/ns/mnt"),
            test::read_link("/proc/self/ns/mnt"));
  EXPECT_EQ(test::proc_fds(m.pid).count(251), 0u);
}

TEST(MonitorJail, BadUserOptionsAreUsageErrors) {
  Image image(sleeper());
  for (std::vector<std::string> opts : {std::vector<std::string>{"--user", "root"},
                                        {"--user", "0"},
                                        {"--user", "no-such-user-here"},
                                        {"--user", "5:0"},
                                        {"--user", "nobody", "--no-jail"}}) {
    Monitor m(image.path, opts);
    int st = 0;
    ASSERT_EQ(waitpid(m.pid, &st, 0), m.pid);
    m.pid = -1;
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 2) << opts[1] << ": status " << st << "\n" << m.err();
    EXPECT_NE(m.err().find("--"), std::string::npos) << m.err();
  }
}

// The guest still works in the jail: output, exit status, a crash report
// with symbols (the symbols are mapped before the jail; nothing is read from
// a path afterwards).
TEST(MonitorJail, GuestRunsAndCrashReportsWorkInTheJail) {
  TestGuest g;
  g.symbols.push_back({kCode, 0x1000, "jailed_function"});
  g.emit({0x0f, 0x0b});  // ud2
  Image image(g);
  Monitor m(image.path, {});
  int st = 0;
  ASSERT_EQ(waitpid(m.pid, &st, 0), m.pid);
  m.pid = -1;
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 132) << st << "\n" << m.err();
  EXPECT_NE(m.err().find("jailed_function"), std::string::npos) << m.err();
}

// ---- W+X images ----------------------------------------------------------------

// The image file of `g` with section `index`'s flags and the header's flags
// patched after writing: no builder would produce it, the monitor must
// refuse it on its own.
void patch_image(const std::string& path, uint32_t section_index, uint32_t section_flags,
                 uint32_t header_flags) {
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  off_t sec =
      static_cast<off_t>(sizeof(shoal::abi::ImageHeader) + section_index * sizeof(shoal::abi::SectionEntry) +
                         offsetof(shoal::abi::SectionEntry, flags));
  ASSERT_EQ(pwrite(fd, &section_flags, 4, sec), 4);
  ASSERT_EQ(pwrite(fd, &header_flags, 4, offsetof(shoal::abi::ImageHeader, flags)), 4);
  close(fd);
}

int run_to_end(Monitor& m) {
  int st = 0;
  EXPECT_EQ(waitpid(m.pid, &st, 0), m.pid);
  m.pid = -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(MonitorJail, MonitorRefusesWriteExecSections) {
  TestGuest g;
  g.exit(7);
  Image image(g);
  constexpr uint32_t kRWX = shoal::abi::kSectionRead | shoal::abi::kSectionWrite | shoal::abi::kSectionExec;
  patch_image(image.path, 1, kRWX, 0);  // the data page, now also executable
  Monitor refused(image.path, {});
  EXPECT_EQ(run_to_end(refused), 1);
  EXPECT_NE(refused.err().find("both writable and executable"), std::string::npos) << refused.err();

  // Declared by the image: it runs.
  patch_image(image.path, 1, kRWX, shoal::abi::kImageAllowWriteExec);
  Monitor allowed(image.path, {});
  EXPECT_EQ(run_to_end(allowed), 7) << allowed.err();
}

}  // namespace
