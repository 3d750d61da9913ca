// Opening a .shoal image and mapping its sections into guest memory.
//
// The builder's reader (shoal_image: read_image) validates the file on its
// own, as hostile input: among the rest it refuses a section both writable
// and executable unless the header declares kImageAllowWriteExec, whatever
// the builder did. The checks here are the ones that depend on this instance: every
// section, the stack and its guard must fit in --memory, and the entry points
// the monitor encodes into ring-0 code must be usable.
#pragma once

#include <stdint.h>

#include <span>
#include <string>
#include <vector>

#include <shoal/abi/image.h>
#include <shoal/base/result.hpp>

#include "guest_memory.hpp"
#include "page_tables.hpp"

namespace shoal::vmm {

struct LoadedImage {
  std::string path;
  int fd = -1;
  uint64_t file_size = 0;
  abi::ImageHeader header{};
  std::vector<abi::SectionEntry> sections;
  std::vector<LoadedRange> loaded;    // loadable sections, for page tables and backtraces
  uint64_t image_end = 0;             // page-aligned end of the highest loaded section
  uint64_t rootfs_addr = 0, rootfs_size = 0;
  std::span<const uint8_t> symbols;   // the symbols section, mapped read-only (may be empty)
  std::string exec_path;              // dynamic images: the program's path in the rootfs (exec section)

  LoadedImage() = default;
  LoadedImage(LoadedImage&& other) noexcept;
  LoadedImage& operator=(LoadedImage&&) = delete;
  LoadedImage(const LoadedImage&) = delete;
  ~LoadedImage();

  // The program name: header.name if set, else the image path.
  std::string program_name() const;
  // Closes the image file once its sections and symbols are mapped: the
  // confined monitor keeps no file open that it does not need.
  void close_file();

 private:
  friend Result<LoadedImage> open_image(const std::string& path);
  void* m_symbols_map = nullptr;
  size_t m_symbols_map_size = 0;
};

Result<LoadedImage> open_image(const std::string& path);

// The header and the sections as the reader returned them, checked against
// memory_size (which must itself be valid: see check_memory_size).
Result<void> check_image_fits(const abi::ImageHeader& header, const std::vector<LoadedRange>& loaded,
                              uint64_t memory_size);
Result<void> check_memory_size(uint64_t memory_size);

// Maps each loadable section's file bytes over guest memory (MAP_PRIVATE |
// MAP_FIXED), so instances of one image share the page cache.
Result<void> map_sections(const GuestMemory& mem, const LoadedImage& image);

}  // namespace shoal::vmm
