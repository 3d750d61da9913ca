// ELF validation: real programs compiled here, hand-made headers, truncated
// copies and random bytes.
#include <elf.h>
#include <string.h>

#include <random>

#include <gtest/gtest.h>

#include <shoal/abi/layout.h>
#include <shoal/builder/elf_program.hpp>

#include "test_util.hpp"

namespace {

using namespace shoal;
using namespace shoal::builder;

const std::string& static_hello() {
  static std::string p = test::compile("elf_static", ".c", test::kHelloC, SHOAL_TEST_CC, "-static -O2 -g");
  return p;
}

std::string error_of(std::vector<uint8_t> bytes) {
  auto r = parse_elf(std::move(bytes), ElfRole::app);
  return r.ok() ? std::string("<accepted>") : r.error().message;
}

TEST(Elf, AcceptsStaticProgram) {
  ASSERT_FALSE(static_hello().empty());
  auto p = load_elf(static_hello(), ElfRole::app);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_FALSE(p->pie);
  EXPECT_GE(p->segments.front().vaddr, shoal::abi::kAppMinAddr);
  EXPECT_NE(p->phdr_addr, 0u);
  EXPECT_EQ(p->phent, sizeof(Elf64_Phdr));
  EXPECT_NE(p->find_symbol("main"), nullptr);
  EXPECT_FALSE(p->code.empty());
}

TEST(Elf, AcceptsStaticPieWithBias) {
  auto path = test::compile("elf_pie", ".c", test::kHelloC, SHOAL_TEST_CC, "-static-pie -fPIE -O2");
  ASSERT_FALSE(path.empty());
  auto p = load_elf(path, ElfRole::app);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(p->pie);
  EXPECT_EQ(p->load_bias, shoal::abi::kStaticPieBase);
  EXPECT_GE(p->entry, shoal::abi::kStaticPieBase);
  EXPECT_GE(p->phdr_addr, shoal::abi::kStaticPieBase);
}

// A dynamically linked program is accepted with its interpreter recorded
// (the image builder then packs the interpreter and libraries); a PIE is
// placed as a static PIE is.
TEST(Elf, AcceptsDynamicProgram) {
  auto path = test::compile("elf_dyn", ".c", test::kHelloC, SHOAL_TEST_CC, "-O2 -fPIE -pie");
  ASSERT_FALSE(path.empty());
  auto p = load_elf(path, ElfRole::app);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->interp, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_TRUE(p->pie);
  EXPECT_EQ(p->load_bias, shoal::abi::kStaticPieBase);
  auto exec = test::compile("elf_dyn_exec", ".c", test::kHelloC, SHOAL_TEST_CC, "-O2 -no-pie");
  ASSERT_FALSE(exec.empty());
  auto e = load_elf(exec, ElfRole::app);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->interp, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_FALSE(e->pie);
}

TEST(Elf, StaticProgramHasNoInterpreter) {
  auto path = test::compile("elf_static_nointerp", ".c", test::kHelloC, SHOAL_TEST_CC, "-O2 -static");
  ASSERT_FALSE(path.empty());
  auto p = load_elf(path, ElfRole::app);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(p->interp.empty());
}

TEST(Elf, RefusesSharedLibrary) {
  auto path = test::compile("elf_lib.so", ".c", "#include <stdio.h>\nvoid f(void) { puts(\"x\"); }\n", SHOAL_TEST_CC,
                            "-shared -fPIC");
  ASSERT_FALSE(path.empty());
  auto p = load_elf(path, ElfRole::app);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("DT_NEEDED"), std::string::npos) << p.error().message;
  path = test::compile("elf_lib2.so", ".c", "int g(void) { return 1; }\n", SHOAL_TEST_CC, "-shared -fPIC");
  ASSERT_FALSE(path.empty());
  p = load_elf(path, ElfRole::app);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("shared library"), std::string::npos) << p.error().message;
}

TEST(Elf, RefusesObjectFile) {
  auto path = test::compile("elf_obj.o", ".c", "int f(void) { return 1; }\n", SHOAL_TEST_CC, "-c");
  ASSERT_FALSE(path.empty());
  EXPECT_NE(load_elf(path, ElfRole::app).error().message.find("ET_REL"), std::string::npos);
}

TEST(Elf, RefusesHandMadeHeaders) {
  auto good = test::read_bytes(static_hello());
  ASSERT_GT(good.size(), 4096u);
  auto b = good;
  b[EI_CLASS] = ELFCLASS32;
  EXPECT_EQ(error_of(b), "32-bit ELF (ELFCLASS32): shoal runs x86-64 programs");
  // A genuine 32-bit header, made by hand.
  Elf32_Ehdr e32{};
  memcpy(e32.e_ident, ELFMAG, SELFMAG);
  e32.e_ident[EI_CLASS] = ELFCLASS32;
  e32.e_ident[EI_DATA] = ELFDATA2LSB;
  e32.e_type = ET_EXEC;
  e32.e_machine = EM_386;
  std::vector<uint8_t> h32(reinterpret_cast<uint8_t*>(&e32), reinterpret_cast<uint8_t*>(&e32) + sizeof e32);
  EXPECT_NE(error_of(h32).find("32-bit"), std::string::npos);
  b = good;
  b[EI_DATA] = ELFDATA2MSB;
  EXPECT_NE(error_of(b).find("big-endian"), std::string::npos);
  b = good;
  uint16_t machine = EM_AARCH64;
  memcpy(&b[offsetof(Elf64_Ehdr, e_machine)], &machine, 2);
  EXPECT_NE(error_of(b).find("aarch64"), std::string::npos);
  b = good;
  uint64_t entry = 0x10;
  memcpy(&b[offsetof(Elf64_Ehdr, e_entry)], &entry, 8);
  EXPECT_NE(error_of(b).find("entry point 0x10 is not inside an executable segment"), std::string::npos);
  b = good;
  uint64_t phoff = b.size() - 8;
  memcpy(&b[offsetof(Elf64_Ehdr, e_phoff)], &phoff, 8);
  EXPECT_NE(error_of(b).find("truncated: program header table at"), std::string::npos) << error_of(b);
  EXPECT_EQ(error_of({}), "not an ELF file (empty file)");
  EXPECT_NE(error_of({'#', '!', '/', 'b'}).find("not an ELF"), std::string::npos);
}

TEST(Elf, RefusesBadSegments) {
  auto good = test::read_bytes(static_hello());
  Elf64_Ehdr eh;
  memcpy(&eh, good.data(), sizeof eh);
  auto phdr = [&](std::vector<uint8_t>& b, int i) {
    // SAFETY: e_phoff and e_phnum were validated by AcceptsStaticProgram.
    return reinterpret_cast<Elf64_Phdr*>(b.data() + eh.e_phoff) + i;
  };
  int first_load = -1, second_load = -1;
  for (int i = 0; i < eh.e_phnum; ++i) {
    auto b = good;
    if (phdr(b, i)->p_type != PT_LOAD) continue;
    if (first_load < 0) first_load = i;
    else if (second_load < 0) second_load = i;
  }
  ASSERT_GE(second_load, 0);
  auto b = good;
  phdr(b, first_load)->p_vaddr = 0x1000;
  EXPECT_NE(error_of(b).find("outside the program area"), std::string::npos) << error_of(b);
  b = good;
  phdr(b, first_load)->p_filesz = phdr(b, first_load)->p_memsz + 0x1000;
  EXPECT_NE(error_of(b).find("exceeds p_memsz"), std::string::npos) << error_of(b);
  b = good;
  phdr(b, second_load)->p_vaddr = phdr(b, first_load)->p_vaddr;
  EXPECT_NE(error_of(b).find("overlapping segments"), std::string::npos) << error_of(b);
  b = good;
  phdr(b, second_load)->p_memsz = 1ull << 40;
  EXPECT_NE(error_of(b).find("absurd"), std::string::npos) << error_of(b);
  b = good;
  phdr(b, second_load)->p_offset = good.size();
  EXPECT_NE(error_of(b).find("truncated: segment"), std::string::npos) << error_of(b);
}

TEST(Elf, TruncatedCopiesAreRefused) {
  auto good = test::read_bytes(static_hello());
  for (size_t len : {size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{20}, size_t{63}, size_t{64}, size_t{100},
                     size_t{500}, size_t{1000}, size_t{4096}, good.size() / 2, good.size() - 1}) {
    std::vector<uint8_t> b(good.begin(), good.begin() + static_cast<long>(len));
    auto msg = error_of(b);
    EXPECT_NE(msg, "<accepted>") << "length " << len;
    EXPECT_TRUE(msg.find("truncated") != std::string::npos || msg.find("not an ELF") != std::string::npos)
        << "length " << len << ": " << msg;
  }
}

TEST(Elf, RandomBytesAndMutationsNeverCrash) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> b(rng() % 8192);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    EXPECT_NE(error_of(b).find("not an ELF"), std::string::npos);
  }
  auto good = test::read_bytes(static_hello());
  // Mutations focused on the ELF header, program headers and section headers.
  Elf64_Ehdr eh;
  memcpy(&eh, good.data(), sizeof eh);
  int accepted = 0;
  for (int i = 0; i < 1500; ++i) {
    auto b = good;
    for (int k = 0; k < 4; ++k) {
      size_t pos;
      switch (rng() % 3) {
        case 0: pos = rng() % (eh.e_phoff + eh.e_phnum * sizeof(Elf64_Phdr)); break;
        case 1: pos = eh.e_shoff + rng() % (eh.e_shnum * sizeof(Elf64_Shdr)); break;
        default: pos = rng() % b.size();
      }
      if (pos < b.size()) b[pos] = static_cast<uint8_t>(rng());
    }
    auto r = parse_elf(std::move(b), ElfRole::app);
    if (r.ok()) ++accepted;
  }
  SUCCEED() << accepted << " mutated files still valid";
}

}  // namespace
