// The .shoal image file: validated reading and writing (host side).
//
// The file format itself is the ABI in <shoal/abi/image.h>; this header is the
// host library that every host program uses to touch it. read_image() is the
// trust boundary: an image may come from anywhere, so every field is checked
// before the monitor maps a single byte of it.
#pragma once

#include <stdint.h>

#include <span>
#include <string>
#include <vector>

#include <shoal/abi/image.h>
#include <shoal/base/result.hpp>
#include <shoal/image/symbols.hpp>

namespace shoal::image {

struct Image {
  abi::ImageHeader header;
  std::vector<abi::SectionEntry> sections;
};

// Reads and validates the header and section table of the image open on fd
// (file_size bytes long). On success every loaded section is page-aligned,
// inside the file, inside its allowed guest range and disjoint from the
// others, and every address in the header points into the right kind of
// section. Errors name the field and the values, e.g.
//   "image: section 3 (app) file range 0x2000+0x5000 exceeds file size 0x4000".
Result<Image> read_image(int fd, uint64_t file_size);

// The same checks on an image held in memory (tests, fuzzers).
Result<Image> parse_image(std::span<const uint8_t> bytes);

// The first section of the given kind, or nullptr.
const abi::SectionEntry* find_section(const Image& image, abi::SectionKind kind);

// A short name for a section kind ("libos", "app", ...), for messages.
const char* section_kind_name(uint32_t kind);

// Lays out an image: header, section table, then each payload at a
// page-aligned file offset (loaded payloads are zero-padded to a page
// multiple). The caller fills the header's semantic fields (entry points,
// name, components...); finish() computes section_count, image_end and every
// file_offset, then validates the result with parse_image() so a builder bug
// cannot produce an image the monitor would refuse.
class ImageWriter {
 public:
  ImageWriter();

  abi::ImageHeader& header() { return m_header; }

  // A loaded section: `bytes` are mapped at guest_addr, the rest of mem_size
  // (rounded up to a page) is zero memory.
  void add_loaded(abi::SectionKind kind, uint32_t flags, uint64_t guest_addr,
                  std::vector<uint8_t> bytes, uint64_t mem_size);
  // A section that is only read by host tools (symbols, manifest).
  void add_unloaded(abi::SectionKind kind, std::vector<uint8_t> bytes);

  // The complete file contents.
  Result<std::vector<uint8_t>> finish();
  // finish() and write to `path` (via a temporary file and rename).
  Result<void> write(const std::string& path);

 private:
  struct Pending {
    abi::SectionEntry entry;
    std::vector<uint8_t> bytes;
  };
  abi::ImageHeader m_header;
  std::vector<Pending> m_sections;
};

}  // namespace shoal::image
