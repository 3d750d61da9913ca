// Writes seed inputs for fuzz_image into the directory given as argv[1]: a
// small valid image (made by the real ImageWriter, so it passes every check
// and the fuzzer starts deep inside parse_image) and a bare symbols section.
// scripts/fuzz runs it before fuzzing; the seeds are not checked in because
// they follow the writer.
#include <shoal/abi/layout.h>
#include <stdio.h>
#include <string.h>

#include <shoal/image/format.hpp>
#include <string>
#include <vector>

namespace {

using namespace shoal;
using namespace shoal::abi;

bool save(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  bool ok = fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <corpus-dir>\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  auto symbols = image::build_symbols({{0x401000, 16, "main"}, {kLibosBase, 0, "start"}});

  image::ImageWriter w;
  auto& h = w.header();
  h.libos_entry = kLibosBase + 0x10;
  h.libos_syscall_bounce = kLibosBase + 0x20;
  h.libos_bounce_slot = kLibosBase + 0x1000;
  h.app_entry = 0x401000;
  h.app_phdr = 0x400040;
  h.app_phent = 56;
  h.app_phnum = 2;
  strcpy(h.name, "seed");
  w.add_loaded(SectionKind::libos, kSectionRead | kSectionExec, kLibosBase, std::vector<uint8_t>(32, 0xcc),
               0x1000);
  w.add_loaded(SectionKind::libos, kSectionRead | kSectionWrite, kLibosBase + 0x1000, {}, 0x1000);
  w.add_loaded(SectionKind::app, kSectionRead, 0x400000, std::vector<uint8_t>(0x80, 2), 0x1000);
  w.add_loaded(SectionKind::app, kSectionRead | kSectionExec, 0x401000, std::vector<uint8_t>(16, 0x90),
               0x1000);
  w.add_unloaded(SectionKind::symbols, symbols);
  w.add_unloaded(SectionKind::manifest, std::vector<uint8_t>{'n', '=', '1', '\n'});
  auto image = w.finish();
  if (!image) {
    fprintf(stderr, "make_seeds: %s\n", image.error().message.c_str());
    return 1;
  }
  if (!save(dir + "/valid-image", image.value()) || !save(dir + "/symbols-only", symbols)) {
    perror(dir.c_str());
    return 1;
  }
  return 0;
}
