// Dynamically linked programs on the host side: reading the dynamic section,
// ld.so.conf, the library closure (inside a --root, with $ORIGIN, symlinks
// that must stay inside the root, ld.so.conf directories, a wrong-machine
// file skipped), and the packer's extra paths (symlinks kept as symlinks).
#include <string.h>
#include <sys/stat.h>

#include <map>

#include <gtest/gtest.h>

#include <shoal/abi/image.h>
#include <shoal/builder/dynamic.hpp>
#include <shoal/builder/rootfs.hpp>

#include "test_util.hpp"

namespace {

using namespace shoal;
using namespace shoal::builder;

int sh(const std::string& cmd) { return system(cmd.c_str()); }

TEST(Dynamic, ReadsNeededSonameAndRunpath) {
  auto lib = test::compile("libdyn_info.so", ".c", "int f(void) { return 1; }\n", SHOAL_TEST_CC,
                           "-shared -fPIC -Wl,-soname,libdyn_info.so.7 -Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN/x:/opt/y' -lm -Wl,--no-as-needed");
  ASSERT_FALSE(lib.empty());
  auto info = read_dynamic_info(test::read_bytes(lib));
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_TRUE(info->x86_64);
  EXPECT_EQ(info->soname, "libdyn_info.so.7");
  EXPECT_TRUE(info->interp.empty());
  EXPECT_EQ(info->runpath, (std::vector<std::string>{"$ORIGIN/x", "/opt/y"}));
  EXPECT_TRUE(info->rpath.empty());
  ASSERT_FALSE(info->needed.empty());
  EXPECT_EQ(info->needed.back(), "libc.so.6");

  // The same bytes claiming to be 32-bit i386: not an error, a file ld.so skips.
  auto b = test::read_bytes(lib);
  b[4] = 1;     // ELFCLASS32
  b[18] = 3;    // EM_386
  b[19] = 0;
  auto i386 = read_dynamic_info(b);
  ASSERT_TRUE(i386.ok()) << i386.error().message;
  EXPECT_FALSE(i386->x86_64);
  EXPECT_EQ(i386->machine, "32-bit i386");
}

TEST(Dynamic, RefusesCorruptDynamicSections) {
  auto lib = test::compile("libdyn_bad.so", ".c", "int g(void) { return 2; }\n", SHOAL_TEST_CC,
                           "-shared -fPIC -Wl,-soname,libdyn_bad.so");
  ASSERT_FALSE(lib.empty());
  auto b = test::read_bytes(lib);
  EXPECT_FALSE(read_dynamic_info(std::vector<uint8_t>(b.begin(), b.begin() + 10)).ok());
  auto cut = read_dynamic_info(std::vector<uint8_t>(b.begin(), b.begin() + 1000));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message.find("truncated"), std::string::npos) << cut.error().message;
  auto not_elf = read_dynamic_info(std::vector<uint8_t>(64, 'x'));
  ASSERT_FALSE(not_elf.ok());
  EXPECT_NE(not_elf.error().message.find("not an ELF file"), std::string::npos);
  // Random damage never crashes the reader.
  uint32_t seed = 12345;
  for (int round = 0; round < 2000; ++round) {
    auto m = b;
    for (int k = 0; k < 8; ++k) {
      seed = seed * 1103515245 + 12345;
      m[(seed >> 8) % m.size()] = static_cast<uint8_t>(seed >> 24);
    }
    (void)read_dynamic_info(m);
  }
}

TEST(Dynamic, ReadsLdSoConfWithIncludes) {
  std::string root = test::scratch_dir() + "/confroot";
  ASSERT_EQ(sh("rm -rf " + root + " && mkdir -p " + root + "/etc/ld.so.conf.d && printf 'include /etc/ld.so.conf.d/*.conf\\n/opt/a # comment\\n\\n  /opt/c  \\n' > " +
               root + "/etc/ld.so.conf && printf '# x\\n/opt/b\\n' > " + root + "/etc/ld.so.conf.d/b.conf"),
            0);
  EXPECT_EQ(ld_so_conf_dirs(root), (std::vector<std::string>{"/opt/b", "/opt/a", "/opt/c"}));
  EXPECT_TRUE(ld_so_conf_dirs(root + "/nonexistent").empty());
}

// A root tree: the interpreter behind an absolute symlink (/lib64 -> /usr/lib64
// must resolve inside the root), libA through the program's $ORIGIN RUNPATH,
// libB through the root's ld.so.conf, libc through the system directory
// /lib/x86_64-linux-gnu where /lib -> /usr/lib; an i386 libB found first.
TEST(Dynamic, ResolvesTheClosureInsideARoot) {
  std::string d = test::scratch_dir() + "/closure";
  std::string root = d + "/root";
  ASSERT_EQ(sh("rm -rf " + d + " && mkdir -p " + root + "/usr/lib64 " + root + "/usr/lib/x86_64-linux-gnu " + root +
               "/app/bin " + root + "/app/lib " + root + "/opt/b " + root + "/opt/i386 " + root + "/etc && ln -s /usr/lib64 " +
               root + "/lib64 && ln -s usr/lib " + root + "/lib && cp -L /lib64/ld-linux-x86-64.so.2 " + root +
               "/usr/lib64/ && cp -L /lib/x86_64-linux-gnu/libc.so.6 " + root +
               "/usr/lib/x86_64-linux-gnu/ && printf '/opt/i386\\n/opt/b\\n' > " + root + "/etc/ld.so.conf"),
            0);
  std::string cc = SHOAL_TEST_CC;
  auto b_src = test::write_text("closure_b.c", "int b(void) { return 2; }\n");
  auto a_src = test::write_text("closure_a.c", "int b(void); int a(void) { return b() + 1; }\n");
  auto p_src = test::write_text("closure_p.c", "int a(void); int main(void) { return a(); }\n");
  ASSERT_EQ(sh(cc + " -shared -fPIC -Wl,-soname,libB.so -o " + root + "/opt/b/libB.so " + b_src), 0);
  ASSERT_EQ(sh("cp " + root + "/opt/b/libB.so " + root + "/opt/i386/libB.so && printf '\\001' | dd of=" + root +
               "/opt/i386/libB.so bs=1 seek=4 conv=notrunc status=none && printf '\\003' | dd of=" + root +
               "/opt/i386/libB.so bs=1 seek=18 conv=notrunc status=none"),
            0);
  ASSERT_EQ(sh(cc + " -shared -fPIC -Wl,-soname,libA.so -o " + root + "/app/lib/libA.so " + a_src + " " + root +
               "/opt/b/libB.so"),
            0);
  ASSERT_EQ(sh(cc + " -o " + root + "/app/bin/prog " + p_src + " " + root +
               "/app/lib/libA.so -Wl,-rpath-link," + root + "/opt/b -Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN/../lib'"),
            0);
  auto c = resolve_closure("/app/bin/prog", root + "/app/bin/prog", root);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->interp, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(c->libraries, (std::vector<std::string>{"/app/bin/../lib/libA.so", "/lib/x86_64-linux-gnu/libc.so.6",
                                                    "/opt/b/libB.so"}));
  // Without libB: the error names the library, who needs it, and the
  // wrong-machine file that was skipped.
  ASSERT_EQ(sh("rm " + root + "/opt/b/libB.so"), 0);
  auto missing = resolve_closure("/app/bin/prog", root + "/app/bin/prog", root);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/app/bin/../lib/libA.so: library libB.so not found"), std::string::npos)
      << missing.error().message;
  EXPECT_NE(missing.error().message.find("skipped /opt/i386/libB.so (32-bit i386"), std::string::npos)
      << missing.error().message;
}

TEST(Dynamic, PacksExtraPathsWithTheirSymlinks) {
  std::string d = test::scratch_dir() + "/extras";
  ASSERT_EQ(sh("rm -rf " + d + " && mkdir -p " + d + "/usr/lib/real " + d + "/tree/sub && printf 'data' > " + d +
               "/usr/lib/real/file && ln -s usr/lib " + d + "/lib && ln -s real " + d + "/usr/lib/link && printf 'x' > " +
               d + "/tree/sub/t && cp -L /lib/x86_64-linux-gnu/libc.so.6 " + d + "/tree/libc.so.6"),
            0);
  RootfsExtras extras{{d + "/lib/link/file"}, {d + "/tree"}, true, {}};
  auto fs = pack_rootfs("", {}, {}, extras);
  ASSERT_TRUE(fs.ok()) << fs.error().message;
  // Read it back through the host reader, then check the entries by path.
  auto info = read_rootfs(fs->bytes);
  ASSERT_TRUE(info.ok()) << info.error().message;
  const auto& b = fs->bytes;
  shoal::abi::RootfsHeader h;
  memcpy(&h, b.data(), sizeof h);
  std::vector<shoal::abi::RootfsEntry> e(h.entry_count);
  memcpy(e.data(), b.data() + sizeof h, e.size() * sizeof(shoal::abi::RootfsEntry));
  std::vector<std::string> paths;
  std::map<std::string, size_t> at;
  for (size_t i = 0; i < e.size(); ++i) {
    std::string name(reinterpret_cast<const char*>(b.data() + h.names_offset + e[i].name_offset), e[i].name_len);
    paths.push_back(i == 0 ? "/" : (paths[e[i].parent] == "/" ? "" : paths[e[i].parent]) + "/" + name);
    at[paths.back()] = i;
  }
  auto text = [&](const std::string& p) {
    const auto& x = e[at.at(p)];
    return std::string(reinterpret_cast<const char*>(b.data() + x.data_offset), x.size);
  };
  ASSERT_TRUE(at.count(d + "/lib"));
  EXPECT_TRUE(S_ISLNK(e[at[d + "/lib"]].mode));
  EXPECT_EQ(text(d + "/lib"), "usr/lib");
  EXPECT_TRUE(S_ISLNK(e[at.at(d + "/usr/lib/link")].mode));
  EXPECT_EQ(text(d + "/usr/lib/real/file"), "data");
  EXPECT_EQ(text(d + "/tree/sub/t"), "x");
  // The one ELF file went through the hook and is listed.
  ASSERT_EQ(fs->elf_objects.size(), 1u);
  EXPECT_EQ(fs->elf_objects[0].path, d + "/tree/libc.so.6");
  for (size_t i = 1; i < e.size(); ++i) EXPECT_LT(e[i].parent, i);
}

// The hook sees each ELF object with its image path, and what it returns is
// what the image holds; an error names the object.
TEST(Dynamic, ElfObjectsPassThroughTheHook) {
  std::string d = test::scratch_dir() + "/hook";
  ASSERT_EQ(sh("rm -rf " + d + " && mkdir -p " + d + "/t && cp -L /lib/x86_64-linux-gnu/libc.so.6 " + d +
               "/t/libc.so.6 && printf 'not elf' > " + d + "/t/text"),
            0);
  std::vector<std::string> seen;
  RootfsExtras extras{{}, {d + "/t"}, true, [&](const std::string& path, std::vector<uint8_t> bytes) {
                        seen.push_back(path);
                        bytes.resize(16);  // "rewritten"
                        return Result<PackedElf>(PackedElf{std::move(bytes), 7, 5});
                      }};
  auto fs = pack_rootfs("", {}, {}, extras);
  ASSERT_TRUE(fs.ok()) << fs.error().message;
  EXPECT_EQ(seen, std::vector<std::string>{d + "/t/libc.so.6"});
  ASSERT_EQ(fs->elf_objects.size(), 1u);
  EXPECT_EQ(fs->elf_objects[0].size, 16u);
  EXPECT_EQ(fs->elf_objects[0].sites, 7u);
  EXPECT_EQ(fs->elf_objects[0].rewritten, 5u);
  extras.elf_hook = [](const std::string&, std::vector<uint8_t>) {
    return Result<PackedElf>(make_error("rewriter refused it"));
  };
  auto bad = pack_rootfs("", {}, {}, extras);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, d + "/t/libc.so.6: rewriter refused it");
}

// The real hook: Debian's libc comes out rewritten (its own stub segment,
// most sites calling the entry), and with rewriting off it is packed byte
// for byte as it was, its sites still counted.
TEST(Dynamic, PackElfObjectRewritesOrOnlyCounts) {
  FILE* f = fopen("/lib/x86_64-linux-gnu/libc.so.6", "rb");
  ASSERT_NE(f, nullptr);
  std::vector<uint8_t> libc;
  uint8_t buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) libc.insert(libc.end(), buf, buf + n);
  fclose(f);
  auto on = pack_elf_object("/lib/x86_64-linux-gnu/libc.so.6", libc, 0x201000, true);
  ASSERT_TRUE(on.ok()) << on.error().message;
  EXPECT_GT(on->sites, 100u);
  EXPECT_GE(on->rewritten, on->sites - 5);
  EXPECT_NE(on->bytes, libc);
  auto off = pack_elf_object("/lib/x86_64-linux-gnu/libc.so.6", libc, 0x201000, false);
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_EQ(off->sites, on->sites);
  EXPECT_EQ(off->rewritten, 0u);
  EXPECT_EQ(off->bytes, libc);
  std::vector<uint8_t> junk(libc.begin(), libc.begin() + 200);
  EXPECT_FALSE(pack_elf_object("x.so", junk, 0x201000, true).ok());
  // A relocatable object (e_type ET_REL) is data: packed as it is.
  std::vector<uint8_t> rel = libc;
  rel[16] = 1;  // e_type = ET_REL
  auto o = pack_elf_object("x.o", rel, 0x201000, true);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->bytes, rel);
  EXPECT_EQ(o->sites, 0u);
}

}  // namespace
