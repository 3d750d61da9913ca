// Writable and executable memory: `shoal build` refuses a program with a W+X
// load (a PF_W|PF_X segment, or code and data sharing a page) unless it says
// it needs one (--allow-wx); then the image records it (header flag and
// manifest) and the reader accepts such sections. The reader, which the
// monitor uses, refuses W+X sections of an image that does not declare it,
// whoever built it (image_test covers the hand-patched case too).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <shoal/abi/image.h>
#include <sys/stat.h>
#include <unistd.h>

#include <shoal/builder/build_image.hpp>
#include <shoal/image/format.hpp>

#include "test_util.hpp"

namespace {

using namespace shoal;

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A static program with an "awx" section: the linker gives it a PT_LOAD
// segment that is readable, writable and executable (as -N would, which
// static glibc does not link with).
const char* kWxC = R"(#include <stdio.h>
__asm__(".section .wxcode,\"awx\",@progbits\n.globl wx_code\nwx_code:\n\tret\n.previous\n");
void wx_code(void);
int main(void) { wx_code(); puts("wx"); return 0; }
)";

std::string wx_program() {
  static const std::string path =
      test::compile("wx_prog", ".c", kWxC, SHOAL_TEST_CC, "-static -no-pie -O2 -Wl,--no-warn-rwx-segments");
  return path;
}

Result<builder::BuildSummary> build(const std::string& program, bool allow_wx, const std::string& image) {
  auto app = TRY(builder::load_elf(program, builder::ElfRole::app));
  auto libos = TRY(builder::load_libos(SHOAL_TEST_DUMMY_LIBOS));
  builder::BuildInputs in{std::move(app), std::move(libos), std::nullopt, program, "wx", 0, true};
  in.allow_wx = allow_wx;
  return builder::assemble_image(in, image);
}

Result<image::Image> read_back(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open " + path);
  struct stat st;
  fstat(fd, &st);
  auto img = image::read_image(fd, static_cast<uint64_t>(st.st_size));
  close(fd);
  return img;
}

std::string manifest_of(const std::string& path, const image::Image& img) {
  const auto* m = image::find_section(img, shoal::abi::SectionKind::manifest);
  if (m == nullptr) return "";
  std::string text(m->file_size, '\0');
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ssize_t n = pread(fd, text.data(), text.size(), static_cast<off_t>(m->file_offset));
  close(fd);
  text.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return text;
}

TEST(WriteExec, WxProgramIsRefusedWithAClearReason) {
  std::string p = wx_program();
  ASSERT_FALSE(p.empty()) << "cannot link the W+X program";
  auto elf = builder::load_elf(p, builder::ElfRole::app);
  ASSERT_TRUE(elf.ok()) << elf.error().message;
  auto checked = builder::check_write_exec(*elf, "program", false);
  ASSERT_FALSE(checked.ok());
  EXPECT_TRUE(has(checked.error().message, "both writable and executable")) << checked.error().message;
  EXPECT_TRUE(has(checked.error().message, "--allow-wx")) << checked.error().message;

  std::string image = test::scratch_dir() + "/wx-refused.shoal";
  auto sum = build(p, false, image);
  ASSERT_FALSE(sum.ok()) << "built an image of a W+X program without --allow-wx";
  EXPECT_TRUE(has(sum.error().message, "writable and executable")) << sum.error().message;
  EXPECT_NE(access(image.c_str(), F_OK), 0) << "an image was written anyway";
}

TEST(WriteExec, AllowWxIsRecordedAndAccepted) {
  std::string p = wx_program();
  ASSERT_FALSE(p.empty());
  std::string image = test::scratch_dir() + "/wx-allowed.shoal";
  auto sum = build(p, true, image);
  ASSERT_TRUE(sum.ok()) << sum.error().message;
  auto img = read_back(image);
  ASSERT_TRUE(img.ok()) << img.error().message;
  EXPECT_EQ(img->header.flags, static_cast<uint32_t>(shoal::abi::kImageAllowWriteExec));
  bool wx_section = false;
  for (const auto& s : img->sections)
    if ((s.flags & shoal::abi::kSectionWrite) && (s.flags & shoal::abi::kSectionExec)) wx_section = true;
  EXPECT_TRUE(wx_section) << "the program should give a W+X app section";
  EXPECT_TRUE(has(manifest_of(image, *img), "allow_wx = true")) << manifest_of(image, *img);
}

TEST(WriteExec, OrdinaryProgramsHaveNoWxAndNoFlag) {
  std::vector<std::string> programs{
      test::compile("wx_plain", ".c", test::kHelloC, SHOAL_TEST_CC, "-static -O2"),
      test::compile("wx_pie", ".c", test::kHelloC, SHOAL_TEST_CC, "-static-pie -fPIE -O2")};
  if (access("/bin/busybox", X_OK) == 0) programs.push_back("/bin/busybox");
  for (const auto& p : programs) {
    ASSERT_FALSE(p.empty());
    auto elf = builder::load_elf(p, builder::ElfRole::app);
    ASSERT_TRUE(elf.ok()) << elf.error().message;
    auto checked = builder::check_write_exec(*elf, "program", false);
    EXPECT_TRUE(checked.ok()) << p << ": " << checked.error().message;
  }
  std::string image = test::scratch_dir() + "/wx-plain.shoal";
  auto sum = build(programs[0], false, image);
  ASSERT_TRUE(sum.ok()) << sum.error().message;
  auto img = read_back(image);
  ASSERT_TRUE(img.ok()) << img.error().message;
  EXPECT_EQ(img->header.flags, 0u);
  EXPECT_TRUE(has(manifest_of(image, *img), "allow_wx = false"));
}

// Segments that are not W+X themselves but share a page: the section the
// monitor maps is both, so it is refused the same way.
TEST(WriteExec, CodeAndDataSharingAPageAreRefused) {
  builder::ElfProgram p;
  p.segments.push_back({0x401000, 0x800, 0, 0, shoal::abi::kSectionRead | shoal::abi::kSectionExec});
  p.segments.push_back({0x401800, 0x100, 0, 0, shoal::abi::kSectionRead | shoal::abi::kSectionWrite});
  auto checked = builder::check_write_exec(p, "program", false);
  ASSERT_FALSE(checked.ok());
  EXPECT_TRUE(has(checked.error().message, "share a page") ||
              has(checked.error().message, "sharing the pages"))
      << checked.error().message;
  EXPECT_TRUE(builder::check_write_exec(p, "program", true).ok());
  // On separate pages: fine.
  p.segments[1].vaddr = 0x402000;
  EXPECT_TRUE(builder::check_write_exec(p, "program", false).ok());
}

}  // namespace
