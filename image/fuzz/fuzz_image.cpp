// libFuzzer target: the image reader and the symbols parser, the two parsers
// the monitor runs on untrusted images.
#include <stddef.h>
#include <stdint.h>

#include <shoal/image/format.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  auto img = shoal::image::parse_image(bytes);
  if (img.ok()) {
    if (const auto* s = shoal::image::find_section(*img, shoal::abi::SectionKind::symbols)) {
      auto table = shoal::image::parse_symbols(bytes.subspan(s->file_offset, s->file_size));
      if (table.ok()) (void)table->lookup(img->header.app_entry);
    }
  }
  auto table = shoal::image::parse_symbols(bytes);
  if (table.ok())
    for (uint64_t a = 0; a < 0x100; a += 7) (void)table->lookup(a);
  return 0;
}
