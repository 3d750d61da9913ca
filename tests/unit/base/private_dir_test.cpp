// open_private_dir and the files made relative to it: the rules of
// docs/security.md "Local files", one case each.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <shoal/base/private_dir.hpp>

using namespace shoal;

namespace {

class PrivateDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/shoal-private-dir-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    m_dir = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }
  std::string m_dir;
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST_F(PrivateDirTest, CreatesTheDirectoryPrivate) {
  umask(022);
  auto d = open_private_dir(m_dir + "/a/b/c", CreateDir::parents);
  ASSERT_TRUE(d.ok()) << d.error().message;
  struct stat st;
  ASSERT_EQ(lstat((m_dir + "/a/b/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(st.st_uid, geteuid());
  // Opening it again (it exists) is fine; `no` does not create.
  EXPECT_TRUE(open_private_dir(m_dir + "/a/b/c/", CreateDir::no).ok());
  auto missing = open_private_dir(m_dir + "/none", CreateDir::no);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ENOENT);
}

TEST_F(PrivateDirTest, RefusesASymbolicLink) {
  std::string target = m_dir + "/target", link = m_dir + "/link";
  ASSERT_EQ(mkdir(target.c_str(), 0700), 0);  // even one that would pass the checks
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  auto d = open_private_dir(link, CreateDir::leaf);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, link + ": is a symbolic link (to " + target + "), not a directory; refusing it");
  ASSERT_EQ(symlink("/nonexistent", (m_dir + "/dangling").c_str()), 0);
  EXPECT_FALSE(open_private_dir(m_dir + "/dangling", CreateDir::leaf).ok());
  struct stat st;
  EXPECT_NE(stat("/nonexistent", &st), 0);  // mkdir did not follow the link
}

TEST_F(PrivateDirTest, RefusesAFile) {
  std::ofstream(m_dir + "/file") << "x";
  auto d = open_private_dir(m_dir + "/file", CreateDir::leaf);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, m_dir + "/file: exists and is not a directory; refusing it");
}

TEST_F(PrivateDirTest, RefusesAnotherOwner) {
  ASSERT_EQ(geteuid(), 0u) << "chown to nobody needs root (the standard machine runs tests as root)";
  std::string p = m_dir + "/theirs";
  ASSERT_EQ(mkdir(p.c_str(), 0700), 0);
  ASSERT_EQ(chown(p.c_str(), 65534, 65534), 0);
  auto d = open_private_dir(p, CreateDir::leaf);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, p + ": owned by another user (uid 65534, this user is uid 0); refusing it");
}

TEST_F(PrivateDirTest, RefusesGroupOrOtherWrite) {
  for (mode_t mode : {0777, 0770, 0702, 01777}) {
    std::string p = m_dir + "/open" + std::to_string(mode);
    ASSERT_EQ(mkdir(p.c_str(), 0700), 0);
    ASSERT_EQ(chmod(p.c_str(), mode), 0);
    auto d = open_private_dir(p, CreateDir::leaf);
    ASSERT_FALSE(d.ok()) << std::oct << mode;
    EXPECT_TRUE(contains(d.error().message, p + ": writable by group or others")) << d.error().message;
  }
}

TEST_F(PrivateDirTest, ParentsOthersCanRewriteAreRefusedStickyOnesAccepted) {
  std::string open_parent = m_dir + "/open";
  ASSERT_EQ(mkdir(open_parent.c_str(), 0700), 0);
  ASSERT_EQ(chmod(open_parent.c_str(), 0777), 0);  // anyone could rename our directory away
  auto d = open_private_dir(open_parent + "/shoal", CreateDir::leaf);
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(contains(d.error().message, open_parent + " is writable by other users without the sticky bit"))
      << d.error().message;
  ASSERT_EQ(chmod(open_parent.c_str(), 01777), 0);  // like /tmp
  EXPECT_TRUE(open_private_dir(open_parent + "/shoal", CreateDir::leaf).ok());

  ASSERT_EQ(geteuid(), 0u);
  std::string theirs = m_dir + "/theirs";
  ASSERT_EQ(mkdir(theirs.c_str(), 0755), 0);
  ASSERT_EQ(chown(theirs.c_str(), 65534, 65534), 0);
  ASSERT_EQ(mkdir((theirs + "/shoal").c_str(), 0700), 0);  // ours, but its parent is not
  auto below = open_private_dir(theirs + "/shoal", CreateDir::leaf);
  ASSERT_FALSE(below.ok());
  EXPECT_TRUE(contains(below.error().message, theirs + " is owned by another user (uid 65534)"))
      << below.error().message;
}

TEST_F(PrivateDirTest, FilesAreMadeWithoutFollowingLinks) {
  auto d = open_private_dir(m_dir + "/run", CreateDir::leaf);
  ASSERT_TRUE(d.ok()) << d.error().message;
  std::string target = m_dir + "/victim";
  std::ofstream(target) << "precious";
  ASSERT_EQ(symlink(target.c_str(), (m_dir + "/run/pool.log").c_str()), 0);
  auto fd = open_private_file(*d, "pool.log", O_WRONLY | O_CREAT | O_TRUNC);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().message, m_dir + "/run/pool.log: is a symbolic link; refusing it");
  std::ifstream in(target);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "precious");

  umask(022);
  std::string bytes = "record\n";
  ASSERT_TRUE(write_private_file(*d, "r", {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}).ok());
  struct stat st;
  ASSERT_EQ(lstat((m_dir + "/run/r").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 7);
  // Replaced atomically: a link at the name is replaced, not followed.
  ASSERT_EQ(symlink(target.c_str(), (m_dir + "/run/s").c_str()), 0);
  ASSERT_TRUE(write_private_file(*d, "s", {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}).ok());
  ASSERT_EQ(lstat((m_dir + "/run/s").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  std::ifstream again(target);
  again >> text;
  EXPECT_EQ(text, "precious");
}

TEST_F(PrivateDirTest, RuntimeDirFollowsXdgThenTmpdir) {
  setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
  EXPECT_EQ(user_runtime_dir(), "/run/user/7/shoal");
  unsetenv("XDG_RUNTIME_DIR");
  setenv("TMPDIR", "/var/tmp/x", 1);
  EXPECT_EQ(user_runtime_dir(), "/var/tmp/x/shoal-" + std::to_string(getuid()));
  setenv("TMPDIR", "relative", 1);  // not absolute: ignored
  EXPECT_EQ(user_runtime_dir(), "/tmp/shoal-" + std::to_string(getuid()));
  unsetenv("TMPDIR");
}

}  // namespace
