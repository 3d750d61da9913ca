// write_file_atomic: the output directory may be shared (/tmp), so nothing
// another user plants there may redirect the write.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <shoal/base/file_io.hpp>
#include "test_util.hpp"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Regression: the temporary file used to be `OUT.tmp.<pid>`, opened with
// O_CREAT|O_TRUNC, so a link planted under that name truncated and rewrote
// whatever it pointed at.
TEST(FileIo, APlantedLinkAtTheOldTemporaryNameIsNotFollowed) {
  std::string dir = shoal::test::scratch_dir();
  std::string victim = shoal::test::write_text("victim", "precious\n");
  std::string out = dir + "/out.shoal";
  std::string planted = out + ".tmp." + std::to_string(getpid());
  ASSERT_EQ(symlink(victim.c_str(), planted.c_str()), 0);

  const uint8_t bytes[] = {'i', 'm', 'a', 'g', 'e'};
  auto r = shoal::write_file_atomic(out, bytes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(slurp(victim), "precious\n");
  EXPECT_EQ(slurp(out), "image");
  struct stat st{};
  ASSERT_EQ(lstat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  unlink(planted.c_str());
  unlink(out.c_str());
}

TEST(FileIo, ReplacesAnExistingFileAndLeavesNoTemporary) {
  std::string out = shoal::test::write_text("replace.shoal", "old");
  const uint8_t bytes[] = {'n', 'e', 'w'};
  auto r = shoal::write_file_atomic(out, bytes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(slurp(out), "new");
  struct stat st{};
  ASSERT_EQ(stat(out.c_str(), &st), 0);
  mode_t mask = umask(0);
  umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0644 & ~mask);
  auto left = shoal::test::run("ls " + shoal::test::scratch_dir() + " | grep -c 'replace.shoal.tmp' || true");
  EXPECT_EQ(left.out, "0\n");
  unlink(out.c_str());
}

TEST(FileIo, AnUnwritableDirectoryIsAClearError) {
  auto r = shoal::write_file_atomic("/nonexistent-dir/out.shoal", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent-dir/out.shoal"), std::string::npos) << r.error().message;
}

}  // namespace
