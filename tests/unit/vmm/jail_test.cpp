// jail.hpp without KVM: identity resolution from passwd/group files, closing
// inherited descriptors, and the jail itself entered by a forked child (as
// root, and as an unprivileged user who cannot clear the bounding set).
#include "jail.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <string>

using namespace shoal;
using namespace shoal::vmm;

namespace {

struct Files {
  std::string passwd = "/tmp/shoal-jail-passwd-" + std::to_string(getpid());
  std::string group = "/tmp/shoal-jail-group-" + std::to_string(getpid());
  Files(const std::string& p, const std::string& g) {
    std::ofstream(passwd) << p;
    std::ofstream(group) << g;
  }
  ~Files() {
    unlink(passwd.c_str());
    unlink(group.c_str());
  }
  Result<JailIdentity> resolve(const std::string& spec) const {
    return resolve_jail_identity(spec, passwd, group);
  }
};

const char* kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
    "svc:x:2000:3000::/:/bin/false\n"
    "nobody:x:65000:65001:nobody:/nonexistent:/usr/sbin/nologin\n";
const char* kGroup = "root:x:0:\nstaff:x:50:alice\nsvcgroup:x:3000:\n";

TEST(JailIdentity, DefaultIsNobodyFromThePasswdFile) {
  Files f(kPasswd, kGroup);
  auto id = f.resolve("");
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(*id, (JailIdentity{65000, 65001}));
}

TEST(JailIdentity, DefaultWithoutNobodyIsTheOverflowId) {
  Files f("root:x:0:0::/:/bin/sh\n", "");
  auto id = f.resolve("");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, (JailIdentity{65534, 65534}));
  auto missing = resolve_jail_identity("", "/nonexistent/passwd", "/nonexistent/group");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, (JailIdentity{65534, 65534}));
}

TEST(JailIdentity, NamesAndNumbers) {
  Files f(kPasswd, kGroup);
  EXPECT_EQ(f.resolve("alice").value(), (JailIdentity{1000, 1000}));
  EXPECT_EQ(f.resolve("alice:staff").value(), (JailIdentity{1000, 50}));
  EXPECT_EQ(f.resolve("svc").value(), (JailIdentity{2000, 3000}));
  EXPECT_EQ(f.resolve("alice:77").value(), (JailIdentity{1000, 77}));
  EXPECT_EQ(f.resolve("2000").value(), (JailIdentity{2000, 3000}));  // primary group from passwd
  EXPECT_EQ(f.resolve("4242").value(), (JailIdentity{4242, 4242}));  // unknown uid: same number
  EXPECT_EQ(f.resolve("4242:svcgroup").value(), (JailIdentity{4242, 3000}));
}

TEST(JailIdentity, RefusesRootAndUnknownNames) {
  Files f(kPasswd, kGroup);
  for (const char* bad : {"root", "0", "alice:root", "alice:0", "daemon:0", "nosuch", "alice:nosuch",
                          ":staff", "alice:", "-1", "4294967295", "12a"}) {
    auto id = f.resolve(bad);
    EXPECT_FALSE(id.ok()) << bad;
    if (!id.ok()) {
      EXPECT_NE(id.error().message.find("--user"), std::string::npos) << id.error().message;
    }
  }
}

// Runs `body` in a forked child; its return value is the child's status.
int in_child(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

bool is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

TEST(CloseInheritedFds, KeepsOnlyTheConsoleAndTheNamedOnes) {
  int status = in_child([] {
    int f = open("/dev/null", O_RDONLY);  // no O_CLOEXEC, as a careless launcher leaves it
    for (int fd : {5, 7, 8, 10, 251, 1000}) dup2(f, fd);
    int keep[] = {7, 251, 7};
    if (!close_inherited_fds(keep).ok()) return 10;
    if (!is_open(0) || !is_open(1) || !is_open(2)) return 11;
    if (!is_open(7) || !is_open(251)) return 12;
    for (int fd : {f, 5, 8, 10, 1000})
      if (fd != 7 && fd != 251 && is_open(fd)) return 13;
    int none[] = {-1};
    if (!close_inherited_fds(none).ok() || is_open(7) || is_open(251)) return 14;
    return 0;
  });
  EXPECT_EQ(status, 0);
}

bool no_capabilities() {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &h, d) != 0) return false;
  for (auto& w : d)
    if (w.effective || w.permitted || w.inheritable) return false;
  return true;
}

bool bounding_set_empty() {
  for (int cap = 0;; ++cap) {
    int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (r < 0) return true;
    if (r == 1) return false;
  }
}

TEST(JailProcess, RootChildEndsUnprivilegedInAnEmptyRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  int status = in_child([] {
    JailConfig config;
    config.identity = {4321, 4322};
    auto r = enter_jail(config);
    if (!r.ok()) {
      fprintf(stderr, "enter_jail: %s\n", r.error().message.c_str());
      return 10;
    }
    if (!r->switched_identity || !r->bounding_set_cleared) return 11;
    uid_t a, b, c;
    getresuid(&a, &b, &c);
    if (a != 4321 || b != 4321 || c != 4321) return 12;
    gid_t g1, g2, g3;
    getresgid(&g1, &g2, &g3);
    if (g1 != 4322 || g2 != 4322 || g3 != 4322 || getgroups(0, nullptr) != 0) return 13;
    if (!no_capabilities()) return 14;
    if (!bounding_set_empty()) return 15;
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 16;
    // The root is an empty, read-only file system: no host file is reachable.
    DIR* d = opendir("/");
    if (d == nullptr) return 17;
    int entries = 0;
    while (dirent* e = readdir(d))
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) ++entries;
    closedir(d);
    if (entries != 0) return 18;
    if (open("/etc/passwd", O_RDONLY) >= 0 || open("/proc/self/status", O_RDONLY) >= 0) return 19;
    if (mkdir("/x", 0700) == 0 || errno != EROFS) return 20;
    // Root cannot be regained.
    if (setuid(0) == 0) return 21;
    return 0;
  });
  EXPECT_EQ(status, 0);
}

TEST(JailProcess, UnprivilegedChildDropsWhatItCan) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to become an unprivileged user first";
  int status = in_child([] {
    // An unprivileged launcher: a plain uid, its bounding set still full.
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) return 10;
    if (bounding_set_empty()) return 11;
    auto r = enter_jail(JailConfig{});
    if (!r.ok()) {
      fprintf(stderr, "enter_jail: %s\n", r.error().message.c_str());
      return 12;
    }
    if (r->switched_identity || r->bounding_set_cleared) return 13;  // EPERM is not an error
    if (getuid() != 65534 || !no_capabilities()) return 14;
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 15;
    return 0;
  });
  EXPECT_EQ(status, 0);
}

TEST(JailProcess, DisabledDoesNothing) {
  int status = in_child([] {
    uid_t before = geteuid();
    JailConfig off;
    off.enabled = false;
    auto r = enter_jail(off);
    if (!r.ok() || r->switched_identity) return 10;
    if (geteuid() != before || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0) return 11;
    return 0;
  });
  EXPECT_EQ(status, 0);
}

}  // namespace
