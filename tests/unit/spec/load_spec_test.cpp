// load_spec(): the file, the environment and the images on disk.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <shoal/pool/spec/spec.hpp>

using namespace shoal::pool::spec;
namespace fs = std::filesystem;

namespace {

class LoadSpec : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/shoal-spec-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    m_dir = tmpl;
  }
  void TearDown() override { fs::remove_all(m_dir); }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = m_dir + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string m_dir;
};

}  // namespace

TEST_F(LoadSpec, ReadsTheFileAndFindsImagesNextToIt) {
  write("hello.shoal", "image");
  std::string path = write("pool.toml", "[services.hello]\nimage = \"hello.shoal\"\n");
  setenv("XDG_RUNTIME_DIR", "/run/user/77", 1);
  auto spec = load_spec(path);
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->services[0].image_path, m_dir + "/hello.shoal");
  EXPECT_EQ(spec->gateway.control, "/run/user/77/shoal/pool.sock");
  unsetenv("XDG_RUNTIME_DIR");
  const char* saved = getenv("TMPDIR");
  std::string saved_tmp = saved ? saved : "";
  unsetenv("TMPDIR");
  auto again = load_spec(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->gateway.control, "/tmp/shoal-" + std::to_string(getuid()) + "/pool.sock");
  // Where the CLI looks without XDG_RUNTIME_DIR: $TMPDIR/shoal-UID.
  setenv("TMPDIR", m_dir.c_str(), 1);
  auto in_tmpdir = load_spec(path);
  ASSERT_TRUE(in_tmpdir.ok());
  EXPECT_EQ(in_tmpdir->gateway.control, m_dir + "/shoal-" + std::to_string(getuid()) + "/pool.sock");
  if (saved) setenv("TMPDIR", saved_tmp.c_str(), 1);
  else unsetenv("TMPDIR");
}

// shoald spawns monitors with the image path and `shoal ps` shows it: it
// leaves load_spec absolute and resolved (shoald's spec_mapping did this
// before shoald read the spec directly).
TEST_F(LoadSpec, ImagePathsComeOutResolved) {
  write("hello.shoal", "image");
  fs::create_directory(m_dir + "/sub");
  std::string path = write("sub/pool.toml", "[services.hello]\nimage = \"../hello.shoal\"\n");
  auto spec = load_spec(path);
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->services[0].image_path, fs::canonical(m_dir + "/hello.shoal").string());
}

TEST_F(LoadSpec, MissingImagesAreErrorsWithTheirLine) {
  std::string path = write("pool.toml",
                           "[services.a]\nimage = \"a.shoal\"\n\n[services.b]\nimage = \"/nonexistent/b.shoal\"\n");
  write("a.shoal", "image");
  auto spec = load_spec(path);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().message, path + ":5: services.b.image: /nonexistent/b.shoal: No such file or directory");
}

TEST_F(LoadSpec, EveryErrorOnItsOwnLine) {
  std::string path = write("pool.toml", "[services.a]\nport = 0\n");
  auto spec = load_spec(path);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().message, path + ":1: services.a.image: is required (the service's .shoal image)\n" + path +
                                      ":2: services.a.port: must be between 1 and 65535");
}

TEST_F(LoadSpec, FileProblems) {
  auto missing = load_spec(m_dir + "/none.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, m_dir + "/none.toml: No such file or directory");
  auto dir = load_spec(m_dir);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().message, m_dir + ": not a regular file");
}

TEST_F(LoadSpec, ChecksTheSnapshotFileExists) {
  write("hello.shoal", "image");
  std::string path = write("pool.toml", "[services.hello]\nimage = \"hello.shoal\"\nsnapshot = \"hello.snap\"\n");
  auto missing = load_spec(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            path + ":3: services.hello.snapshot: " + m_dir + "/hello.snap: No such file or directory");
  write("hello.snap", "snapshot");
  auto spec = load_spec(path);
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->services[0].snapshot_path, m_dir + "/hello.snap");
}
