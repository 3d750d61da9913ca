// Image writer -> reader round trip, and read_image against corrupted images.
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <random>

#include <gtest/gtest.h>

#include <shoal/abi/image.h>
#include <shoal/abi/layout.h>
#include <shoal/image/format.hpp>

namespace {

using namespace shoal;
using namespace shoal::abi;

std::vector<uint8_t> valid_image() {
  image::ImageWriter w;
  auto& h = w.header();
  h.libos_entry = kLibosBase + 0x10;
  h.libos_syscall_bounce = kLibosBase + 0x20;
  h.libos_bounce_slot = kLibosBase + 0x2000;
  h.app_entry = 0x401000;
  h.app_phdr = 0x400040;
  h.app_phent = 56;
  h.app_phnum = 4;
  h.syscall_sites = 3;
  h.syscall_rewritten = 2;
  strcpy(h.name, "test");
  w.add_loaded(SectionKind::libos, kSectionRead | kSectionExec, kLibosBase, std::vector<uint8_t>(100, 0xcc), 0x1000);
  w.add_loaded(SectionKind::libos, kSectionRead | kSectionWrite, kLibosBase + 0x2000, std::vector<uint8_t>(8, 1), 0x3000);
  w.add_loaded(SectionKind::app, kSectionRead, 0x400000, std::vector<uint8_t>(0x300, 2), 0x1000);
  w.add_loaded(SectionKind::app, kSectionRead | kSectionExec, 0x401000, std::vector<uint8_t>(0x1234, 0x90), 0x2000);
  w.add_loaded(SectionKind::trampolines, kSectionRead | kSectionExec, 0x403000, std::vector<uint8_t>(64, 0xc3), 64);
  w.add_unloaded(SectionKind::symbols, image::build_symbols({{0x401000, 16, "main"}, {kLibosBase, 0, "start"}}));
  w.add_unloaded(SectionKind::manifest, std::vector<uint8_t>{'n', '=', '1', '\n'});
  auto out = w.finish();
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
  return out.ok() ? out.value() : std::vector<uint8_t>{};
}

TEST(Image, RoundTripThroughAFile) {
  auto bytes = valid_image();
  char path[] = "/tmp/shoal-image-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  auto img = image::read_image(fd, bytes.size());
  close(fd);
  unlink(path);
  ASSERT_TRUE(img.ok()) << img.error().message;
  EXPECT_EQ(img->header.section_count, 7u);
  EXPECT_EQ(img->header.image_end, 0x404000u);
  EXPECT_STREQ(img->header.name, "test");
  EXPECT_EQ(img->header.version, 2u);
  const auto* app = image::find_section(*img, SectionKind::app);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->guest_addr, 0x400000u);
  EXPECT_EQ(app->file_offset % kPageSize, 0u);
  EXPECT_EQ(bytes[app->file_offset + 0x2ff], 2);
  EXPECT_EQ(bytes[app->file_offset + 0x300], 0);  // page padding is zero
  const auto* sym = image::find_section(*img, SectionKind::symbols);
  ASSERT_NE(sym, nullptr);
  auto table = image::parse_symbols(std::span<const uint8_t>(bytes.data() + sym->file_offset, sym->file_size));
  ASSERT_TRUE(table.ok()) << table.error().message;
  auto hit = table->lookup(0x401004);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->name, "main");
  EXPECT_EQ(hit->offset, 4u);
  EXPECT_FALSE(table->lookup(0x401010).has_value());
  EXPECT_EQ(table->lookup(kLibosBase + 0x50)->name, "start");
  EXPECT_FALSE(table->lookup(0x1000).has_value());
}

// Patches a field of the valid image and expects a refusal naming `what`.
void expect_refused(void (*mutate)(std::vector<uint8_t>&), const char* what) {
  auto bytes = valid_image();
  mutate(bytes);
  auto img = image::parse_image(bytes);
  ASSERT_FALSE(img.ok()) << "accepted an image with " << what;
  EXPECT_NE(img.error().message.find(what), std::string::npos) << img.error().message;
}

SectionEntry* section(std::vector<uint8_t>& b, int i) {
  // SAFETY: the test image has 7 entries right after the header; memcpy-free
  // access is fine for a byte vector the test owns (alignment 8 holds).
  return reinterpret_cast<SectionEntry*>(b.data() + sizeof(ImageHeader)) + i;
}
ImageHeader* header(std::vector<uint8_t>& b) { return reinterpret_cast<ImageHeader*>(b.data()); }

TEST(Image, RefusesSpecificCorruptions) {
  expect_refused([](auto& b) { b[0] = 'X'; }, "bad magic");
  expect_refused([](auto& b) { header(b)->version = 9; }, "version 9");
  // Version 1 images (no writable directories in the rootfs) are refused too.
  expect_refused([](auto& b) { header(b)->version = 1; }, "version 1");
  expect_refused([](auto& b) { header(b)->section_count = 65; }, "section_count 65");
  expect_refused([](auto& b) { header(b)->section_count = 60; }, "section 7");
  expect_refused([](auto& b) { section(b, 2)->file_size = 0x100000; }, "section 2 (app) file range");
  expect_refused([](auto& b) { section(b, 2)->guest_addr = 0x400800; }, "not page-aligned");
  expect_refused([](auto& b) { section(b, 2)->mem_size = 0; }, "empty");
  expect_refused([](auto& b) { section(b, 3)->guest_addr = 0x400000; }, "overlaps");
  expect_refused([](auto& b) { section(b, 0)->guest_addr = 0x100000; }, "outside the LibOS area");
  expect_refused([](auto& b) { section(b, 1)->mem_size = 0x400000; }, "outside the LibOS area");
  expect_refused([](auto& b) { section(b, 4)->guest_addr = 0x300000; }, "below");
  expect_refused([](auto& b) { section(b, 4)->guest_addr = ~0ull << 12; }, "exceeds the largest");
  expect_refused([](auto& b) { section(b, 2)->file_size = 0x2000; }, "exceeds mem_size");
  expect_refused([](auto& b) { header(b)->image_end += 0x1000; }, "image_end");
  expect_refused([](auto& b) { header(b)->libos_entry = kLibosBase + 0x2000; }, "libos_entry");
  expect_refused([](auto& b) { header(b)->libos_syscall_bounce = 0x401000; }, "libos_syscall_bounce");
  expect_refused([](auto& b) { header(b)->libos_bounce_slot = kLibosBase + 0x8; }, "libos_bounce_slot");
  expect_refused([](auto& b) { header(b)->libos_bounce_slot = kLibosBase + 0x4ffc; }, "libos_bounce_slot");
  expect_refused([](auto& b) { header(b)->app_entry = 0x400010; }, "app_entry");
  expect_refused([](auto& b) { header(b)->app_phdr = 0x400ff0; }, "app_phdr");
  expect_refused([](auto& b) { header(b)->syscall_rewritten = 4; }, "syscall_rewritten");
  expect_refused([](auto& b) { memset(header(b)->name, 'a', 64); }, "name");
  expect_refused([](auto& b) { section(b, 5)->guest_addr = 0x1000; }, "not loaded");
  expect_refused([](auto& b) { section(b, 5)->kind = 20; }, "unknown kind");
  expect_refused([](auto& b) { section(b, 0)->kind = 7; }, "unknown kind");
  expect_refused([](auto& b) { section(b, 0)->file_offset = 0; }, "overlaps the header");
  expect_refused([](auto& b) { header(b)->devices = 2; }, "unknown devices 0x2");
  expect_refused([](auto& b) { header(b)->devices = kDeviceNet | 0x80000000u; }, "unknown devices 0x80000000");
  expect_refused([](auto& b) { header(b)->flags = 4; }, "unknown flags 0x4");
  // A dynamic image needs its exec section and a rootfs.
  expect_refused([](auto& b) { header(b)->flags = kImageDynamic; }, "flagged dynamic (kImageDynamic) but has no exec");
  // A section both writable and executable, in an image that does not say
  // its program needs one: whoever wrote the image, the reader refuses it.
  expect_refused([](auto& b) { section(b, 1)->flags = kSectionRead | kSectionWrite | kSectionExec; },
                 "section 1 (libos) at 0x202000+0x3000 is both writable and executable");
  expect_refused([](auto& b) { section(b, 3)->flags = kSectionWrite | kSectionExec; }, "both writable and executable");
}

TEST(Image, AcceptsWriteExecSectionsWhenDeclared) {
  auto bytes = valid_image();
  header(bytes)->flags = kImageAllowWriteExec;
  section(bytes, 3)->flags = kSectionRead | kSectionWrite | kSectionExec;
  auto img = image::parse_image(bytes);
  ASSERT_TRUE(img.ok()) << img.error().message;
  EXPECT_EQ(img->header.flags, static_cast<uint32_t>(kImageAllowWriteExec));
}

// A dynamic program's image: the flag, a rootfs and the exec section naming
// the program's path; an exec section without a rootfs is refused, and so is
// one of absurd size. A static program with others packed for execve has an
// exec section and a rootfs without the flag.
std::vector<uint8_t> dynamic_image(std::vector<uint8_t> exec, uint32_t flags) {
  image::ImageWriter w;
  auto& h = w.header();
  h.libos_entry = kLibosBase + 0x10;
  h.libos_syscall_bounce = kLibosBase + 0x20;
  h.libos_bounce_slot = kLibosBase + 0x2000;
  h.app_entry = 0x401000;
  h.app_phdr = 0x400040;
  h.app_phent = 56;
  h.app_phnum = 4;
  h.flags = flags;
  strcpy(h.name, "dyn");
  w.add_loaded(SectionKind::libos, kSectionRead | kSectionExec, kLibosBase, std::vector<uint8_t>(100, 0xcc), 0x1000);
  w.add_loaded(SectionKind::libos, kSectionRead | kSectionWrite, kLibosBase + 0x2000, std::vector<uint8_t>(8, 1), 0x3000);
  w.add_loaded(SectionKind::app, kSectionRead, 0x400000, std::vector<uint8_t>(0x300, 2), 0x1000);
  w.add_loaded(SectionKind::app, kSectionRead | kSectionExec, 0x401000, std::vector<uint8_t>(0x1234, 0x90), 0x2000);
  w.add_loaded(SectionKind::rootfs, kSectionRead, 0x403000, std::vector<uint8_t>(64, 0), 0x1000);
  w.add_unloaded(SectionKind::exec, std::move(exec));
  auto out = w.finish();
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
  return out.ok() ? out.value() : std::vector<uint8_t>{};
}

TEST(Image, AcceptsADynamicProgram) {
  std::string path = "/usr/bin/python3.11";
  auto img = image::parse_image(dynamic_image(std::vector<uint8_t>(path.c_str(), path.c_str() + path.size() + 1),
                                              kImageDynamic));
  ASSERT_TRUE(img.ok()) << img.error().message;
  ASSERT_NE(image::find_section(*img, SectionKind::exec), nullptr);
  EXPECT_EQ(image::find_section(*img, SectionKind::exec)->file_size, path.size() + 1);
}

TEST(Image, RefusesInconsistentDynamicImages) {
  std::string path = "/x";
  auto good = dynamic_image(std::vector<uint8_t>(path.c_str(), path.c_str() + path.size() + 1), kImageDynamic);
  auto no_flag = good;
  header(no_flag)->flags = 0;
  auto r = image::parse_image(no_flag);
  EXPECT_TRUE(r.ok()) << "a static program packed for execve: " << r.error().message;
  // The rootfs section (index 4) made an app section: the exec section names nothing.
  auto no_rootfs = no_flag;
  section(no_rootfs, 4)->kind = static_cast<uint32_t>(SectionKind::app);
  r = image::parse_image(no_rootfs);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exec section in an image without a rootfs section"), std::string::npos)
      << r.error().message;
  auto dynamic_no_rootfs = good;
  section(dynamic_no_rootfs, 4)->kind = static_cast<uint32_t>(SectionKind::app);
  r = image::parse_image(dynamic_no_rootfs);
  ASSERT_FALSE(r.ok());
  auto empty = good;
  section(empty, 5)->file_size = 1;
  r = image::parse_image(empty);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("size 1 is not a path of 1 to 4095 bytes"), std::string::npos) << r.error().message;
}

TEST(Image, AcceptsTheNetworkDevice) {
  auto bytes = valid_image();
  header(bytes)->devices = kDeviceNet;
  auto img = image::parse_image(bytes);
  ASSERT_TRUE(img.ok()) << img.error().message;
  EXPECT_EQ(img->header.devices, kDeviceNet);
}

TEST(Image, RandomMutationsNeverCrash) {
  auto good = valid_image();
  std::mt19937_64 rng(42);
  int refused = 0;
  for (int round = 0; round < 20000; ++round) {
    auto b = good;
    int n = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) {
      // Most mutations hit the header and table, where the checks are.
      size_t limit = (rng() % 4) ? sizeof(ImageHeader) + 7 * sizeof(SectionEntry) : b.size();
      size_t pos = rng() % limit;
      switch (rng() % 3) {
        case 0: b[pos] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 1: b[pos] = static_cast<uint8_t>(rng()); break;
        default: if (pos + 8 <= b.size()) { uint64_t v = rng() % 3 ? rng() % 0x800000 : rng(); memcpy(&b[pos], &v, 8); }
      }
    }
    if (rng() % 16 == 0) b.resize(rng() % b.size());
    auto img = image::parse_image(b);
    if (!img.ok()) {
      ++refused;
      EXPECT_FALSE(img.error().message.empty());
    }
  }
  EXPECT_GT(refused, 10000);
}

TEST(Symbols, RefusesBadTables) {
  auto good = image::build_symbols({{0x10, 4, "a"}, {0x20, 4, "b"}});
  ASSERT_TRUE(image::parse_symbols(good).ok());
  auto truncated = good;
  truncated.resize(truncated.size() - 1);
  EXPECT_FALSE(image::parse_symbols(truncated).ok());
  auto unsorted = good;
  uint64_t big = 0x100;
  memcpy(unsorted.data() + sizeof(SymbolTableHeader), &big, 8);
  EXPECT_NE(image::parse_symbols(unsorted).error().message.find("not sorted"), std::string::npos);
  auto bad_name = good;
  uint32_t off = 1000;
  memcpy(bad_name.data() + sizeof(SymbolTableHeader) + 12, &off, 4);
  EXPECT_FALSE(image::parse_symbols(bad_name).ok());
  auto unterminated = good;
  unterminated.back() = 'x';
  EXPECT_FALSE(image::parse_symbols(unterminated).ok());
  EXPECT_FALSE(image::parse_symbols(std::span<const uint8_t>()).ok());
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    auto b = good;
    b[rng() % b.size()] = static_cast<uint8_t>(rng());
    auto t = image::parse_symbols(b);
    if (t.ok()) for (uint64_t a = 0; a < 0x40; a += 3) (void)t->lookup(a);
  }
}

}  // namespace
