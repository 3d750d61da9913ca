// Root filesystem packer: layout, order, modes, symlinks, skipped files.
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <map>

#include <gtest/gtest.h>

#include <shoal/abi/image.h>
#include <shoal/builder/rootfs.hpp>

#include "test_util.hpp"

namespace {

namespace abi = shoal::abi;
using shoal::test::scratch_dir;

struct Parsed {
  abi::RootfsHeader header;
  std::vector<abi::RootfsEntry> entries;
  std::vector<std::string> paths;  // full path of each entry
  std::map<std::string, size_t> index;
};

Parsed parse(const std::vector<uint8_t>& b) {
  Parsed p{};
  memcpy(&p.header, b.data(), sizeof p.header);
  p.entries.resize(p.header.entry_count);
  memcpy(p.entries.data(), b.data() + sizeof p.header, p.entries.size() * sizeof(abi::RootfsEntry));
  for (size_t i = 0; i < p.entries.size(); ++i) {
    const auto& e = p.entries[i];
    std::string name(reinterpret_cast<const char*>(b.data() + p.header.names_offset + e.name_offset), e.name_len);
    std::string path = i == 0 ? "/" : (p.paths[e.parent] == "/" ? "" : p.paths[e.parent]) + "/" + name;
    p.paths.push_back(path);
    p.index[path] = i;
  }
  return p;
}

TEST(Rootfs, PacksTreeDeterministically) {
  std::string root = shoal::test::scratch_dir() + "/rootfs";
  ASSERT_EQ(system(("rm -rf " + root + " && mkdir -p " + root + "/etc/sub " + root + "/b && " + "printf 'hello' > " +
                    root + "/etc/greeting && printf 'nested' > " + root + "/etc/sub/n.txt && : > " + root +
                    "/empty && chmod 600 " + root + "/empty && ln -s etc/greeting " + root + "/link && mkfifo " +
                    root + "/fifo && touch -d @1000000000 " + root + "/etc/greeting")
                       .c_str()),
            0);
  auto fs = shoal::builder::pack_rootfs(root);
  ASSERT_TRUE(fs.ok()) << fs.error().message;
  ASSERT_EQ(fs->warnings.size(), 1u);
  EXPECT_NE(fs->warnings[0].find("fifo"), std::string::npos);
  auto again = shoal::builder::pack_rootfs(root);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(fs->bytes, again->bytes);  // deterministic

  const auto& b = fs->bytes;
  auto p = parse(b);
  EXPECT_EQ(memcmp(p.header.magic, abi::kRootfsMagic, 8), 0);
  EXPECT_EQ(p.header.entry_count, 8u);  // / b empty etc link greeting sub n.txt
  EXPECT_TRUE(S_ISDIR(p.entries[0].mode));
  EXPECT_EQ(p.entries[0].parent, 0u);
  for (size_t i = 1; i < p.entries.size(); ++i) EXPECT_LT(p.entries[i].parent, i);
  // Children of one directory are sorted by name.
  EXPECT_LT(p.index["/b"], p.index["/empty"]);
  EXPECT_LT(p.index["/empty"], p.index["/etc"]);
  EXPECT_LT(p.index["/etc"], p.index["/link"]);
  const auto& g = p.entries[p.index.at("/etc/greeting")];
  EXPECT_TRUE(S_ISREG(g.mode));
  EXPECT_EQ(g.size, 5u);
  EXPECT_EQ(g.mtime_sec, 1000000000);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data() + g.data_offset), g.size), "hello");
  const auto& l = p.entries[p.index.at("/link")];
  EXPECT_TRUE(S_ISLNK(l.mode));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data() + l.data_offset), l.size), "etc/greeting");
  EXPECT_EQ(p.entries[p.index.at("/empty")].mode & 0777, 0600u);
  EXPECT_EQ(p.entries[p.index.at("/empty")].size, 0u);
  const auto& n = p.entries[p.index.at("/etc/sub/n.txt")];
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data() + n.data_offset), n.size), "nested");
}

// Regression: packing many sibling directories used a reference into the
// node vector across its reallocation (the path of a later directory read
// freed memory and came out empty).
TEST(Rootfs, ManyNestedDirectoriesKeepTheirPaths) {
  std::string root = scratch_dir() + "/rootfs_many";
  std::string cmd = "rm -rf " + root + " && mkdir -p " + root;
  for (int d = 0; d < 30; ++d)
    cmd += " && mkdir -p " + root + "/d" + std::to_string(d) + "/inner && echo " + std::to_string(d) + " > " + root +
           "/d" + std::to_string(d) + "/inner/f";
  ASSERT_EQ(system(cmd.c_str()), 0);
  auto fs = shoal::builder::pack_rootfs(root);
  ASSERT_TRUE(fs.ok()) << fs.error().message;
  auto p = parse(fs->bytes);
  EXPECT_EQ(p.entries.size(), 1u + 30 * 3);
  for (int d = 0; d < 30; ++d) {
    std::string f = "/d" + std::to_string(d) + "/inner/f";
    ASSERT_TRUE(p.index.count(f)) << f;
    const auto& e = p.entries[p.index[f]];
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(fs->bytes.data() + e.data_offset), e.size),
              std::to_string(d) + "\n");
  }
}

TEST(Rootfs, ClearErrors) {
  auto missing = shoal::builder::pack_rootfs("/nonexistent/dir");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/dir"), std::string::npos);
  std::string file = shoal::test::write_text("plainfile", "x");
  EXPECT_NE(shoal::builder::pack_rootfs(file).error().message.find("not a directory"), std::string::npos);
  std::string root = shoal::test::scratch_dir() + "/rootfs_big";
  ASSERT_EQ(system(("mkdir -p " + root + " && head -c 10000 /dev/zero > " + root + "/big").c_str()), 0);
  shoal::builder::RootfsLimits small;
  small.max_total_bytes = 4096;
  EXPECT_NE(shoal::builder::pack_rootfs(root, small).error().message.find("exceeds"), std::string::npos);
  small = {};
  small.max_entries = 0;
  EXPECT_NE(shoal::builder::pack_rootfs(root, small).error().message.find("more than"), std::string::npos);
}

std::vector<uint32_t> writable_of(const std::vector<uint8_t>& b, const Parsed& p) {
  std::vector<uint32_t> w(p.header.writable_count);
  memcpy(w.data(), b.data() + sizeof p.header + p.entries.size() * sizeof(abi::RootfsEntry), w.size() * 4);
  return w;
}

std::string make_tree(const char* name) {
  std::string root = scratch_dir() + "/" + name;
  EXPECT_EQ(system(("rm -rf " + root + " && mkdir -p " + root + "/etc/sub " + root + "/var && printf 'nested' > " +
                    root + "/etc/sub/n.txt && printf 'x' > " + root + "/file")
                       .c_str()),
            0);
  return root;
}

TEST(Rootfs, WritableDirectoriesAreRecordedAndCreated) {
  std::string root = make_tree("rootfs_writable");
  auto fs = shoal::builder::pack_rootfs(root, {}, {"/etc/sub", "/var/lib/app"});
  ASSERT_TRUE(fs.ok()) << fs.error().message;
  auto p = parse(fs->bytes);
  // / etc file var sub n.txt, then the created /var/lib and /var/lib/app.
  EXPECT_EQ(p.header.entry_count, 8u);
  ASSERT_EQ(p.header.writable_count, 2u);
  auto w = writable_of(fs->bytes, p);
  EXPECT_EQ(p.paths[w[0]], "/etc/sub");
  EXPECT_EQ(p.paths[w[1]], "/var/lib/app");
  const auto& made = p.entries[w[1]];
  EXPECT_TRUE(S_ISDIR(made.mode));
  EXPECT_EQ(made.mode & 07777, 0755u);
  for (size_t i = 1; i < p.entries.size(); ++i) EXPECT_LT(p.entries[i].parent, i);
  // The names table follows the writable indices, and file data is intact.
  EXPECT_EQ(p.header.names_offset, sizeof(abi::RootfsHeader) + 8 * sizeof(abi::RootfsEntry) + 2 * 4);
  const auto& n = p.entries[p.index.at("/etc/sub/n.txt")];
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(fs->bytes.data() + n.data_offset), n.size), "nested");
  EXPECT_EQ(fs->writable, (std::vector<std::string>{"/etc/sub", "/var/lib/app"}));

  auto info = shoal::builder::read_rootfs(fs->bytes);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->entries, 8u);
  EXPECT_EQ(info->writable, (std::vector<std::string>{"/etc/sub", "/var/lib/app"}));

  // Without writable paths nothing is recorded; the reader agrees.
  auto plain = shoal::builder::pack_rootfs(root);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(parse(plain->bytes).header.writable_count, 0u);
  EXPECT_TRUE(shoal::builder::read_rootfs(plain->bytes)->writable.empty());
}

TEST(Rootfs, WritableWithoutAHostTree) {
  auto fs = shoal::builder::pack_rootfs("", {}, {"/data"});
  ASSERT_TRUE(fs.ok()) << fs.error().message;
  auto p = parse(fs->bytes);
  ASSERT_EQ(p.header.entry_count, 2u);
  EXPECT_TRUE(S_ISDIR(p.entries[0].mode));
  EXPECT_EQ(p.paths[1], "/data");
  EXPECT_EQ(writable_of(fs->bytes, p), std::vector<uint32_t>{1});
  auto again = shoal::builder::pack_rootfs("", {}, {"/data"});
  EXPECT_EQ(fs->bytes, again->bytes);  // deterministic (mtime 0)
}

TEST(Rootfs, WritablePathsAreValidated) {
  using shoal::builder::check_writable_path;
  EXPECT_TRUE(check_writable_path("/data").ok());
  EXPECT_TRUE(check_writable_path("/var/lib/app").ok());
  EXPECT_TRUE(check_writable_path("/tmpdata").ok());
  for (const char* bad : {"", "data", "/", "/data/", "//data", "/a//b", "/a/./b", "/a/../b", "/.", "/tmp", "/tmp/x",
                          "/dev", "/dev/shm", "/proc", "/proc/self"})
    EXPECT_FALSE(check_writable_path(bad).ok()) << bad;
  EXPECT_NE(check_writable_path("/tmp/x").error().message.find("/tmp"), std::string::npos);

  std::string root = make_tree("rootfs_writable_bad");
  auto file = shoal::builder::pack_rootfs(root, {}, {"/file/below"});
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().message.find("not a directory"), std::string::npos) << file.error().message;
  EXPECT_FALSE(shoal::builder::pack_rootfs(root, {}, {"/file"}).ok());
  auto nested = shoal::builder::pack_rootfs(root, {}, {"/etc", "/etc/sub"});
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.error().message.find("nests"), std::string::npos) << nested.error().message;
  EXPECT_FALSE(shoal::builder::pack_rootfs(root, {}, {"/etc", "/etc"}).ok());
  EXPECT_FALSE(shoal::builder::pack_rootfs(root, {}, {"relative"}).ok());
  std::vector<std::string> many;
  for (int i = 0; i < 17; ++i) many.push_back("/d" + std::to_string(i));
  EXPECT_FALSE(shoal::builder::pack_rootfs(root, {}, many).ok());
}

// The host-side reader refuses what the LibOS would refuse.
TEST(Rootfs, ReaderRefusesBadWritableTables) {
  std::string root = make_tree("rootfs_writable_reader");
  auto fs = shoal::builder::pack_rootfs(root, {}, {"/etc/sub"});
  ASSERT_TRUE(fs.ok()) << fs.error().message;
  auto p = parse(fs->bytes);
  size_t slot = sizeof(abi::RootfsHeader) + p.entries.size() * sizeof(abi::RootfsEntry);
  auto with_index = [&](uint32_t index) {
    auto b = fs->bytes;
    memcpy(b.data() + slot, &index, 4);
    return b;
  };
  auto refused = [](const std::vector<uint8_t>& b, const char* what) {
    auto r = shoal::builder::read_rootfs(b);
    ASSERT_FALSE(r.ok()) << "accepted: " << what;
    EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
  };
  refused(with_index(0), "out of range");
  refused(with_index(p.header.entry_count), "out of range");
  refused(with_index(static_cast<uint32_t>(p.index.at("/etc/sub/n.txt"))), "not a directory");
  auto b = fs->bytes;
  reinterpret_cast<abi::RootfsHeader*>(b.data())->writable_count = 17;
  refused(b, "writable directories");
  b = fs->bytes;
  reinterpret_cast<abi::RootfsHeader*>(b.data())->writable_count = 1;
  b.resize(slot + 2);
  refused(b, "past the end");
  b = fs->bytes;
  b[0] = 'X';
  refused(b, "bad magic");
  EXPECT_TRUE(shoal::builder::read_rootfs(with_index(static_cast<uint32_t>(p.index.at("/etc")))).ok());
}

}  // namespace
