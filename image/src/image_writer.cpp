// Lays out a .shoal file: header, section table, page-aligned payloads.
#include <string.h>

#include <algorithm>

#include <shoal/abi/layout.h>
#include <shoal/base/file_io.hpp>
#include <shoal/base/strf.hpp>
#include <shoal/image/format.hpp>

namespace shoal::image {

namespace {
uint64_t page_up(uint64_t v) { return (v + abi::kPageSize - 1) & ~(abi::kPageSize - 1); }
}  // namespace

ImageWriter::ImageWriter() : m_header{} {
  memcpy(m_header.magic, abi::kImageMagic, sizeof m_header.magic);
  m_header.version = abi::kImageVersion;
  m_header.components = abi::kComponentCore;
}

void ImageWriter::add_loaded(abi::SectionKind kind, uint32_t flags, uint64_t guest_addr,
                             std::vector<uint8_t> bytes, uint64_t mem_size) {
  // NOTE: the file bytes are padded to a whole page with zeros, so the tail of
  // a segment's last file page (the start of its bss) reads as zero when mapped.
  bytes.resize(page_up(bytes.size()), 0);
  abi::SectionEntry e{};
  e.kind = static_cast<uint32_t>(kind);
  e.flags = flags;
  e.file_size = bytes.size();
  e.guest_addr = guest_addr;
  e.mem_size = std::max(page_up(mem_size), e.file_size);
  m_sections.push_back({e, std::move(bytes)});
}

void ImageWriter::add_unloaded(abi::SectionKind kind, std::vector<uint8_t> bytes) {
  abi::SectionEntry e{};
  e.kind = static_cast<uint32_t>(kind);
  e.file_size = bytes.size();
  m_sections.push_back({e, std::move(bytes)});
}

Result<std::vector<uint8_t>> ImageWriter::finish() {
  if (m_sections.size() > abi::kMaxSections)
    return make_error(strf("image: {} sections exceed the maximum {}", m_sections.size(), abi::kMaxSections));
  m_header.section_count = static_cast<uint32_t>(m_sections.size());
  uint64_t offset = page_up(sizeof(abi::ImageHeader) + m_sections.size() * sizeof(abi::SectionEntry));
  uint64_t image_end = 0;
  for (auto& s : m_sections) {
    s.entry.file_offset = s.bytes.empty() ? 0 : offset;
    offset = page_up(offset + s.bytes.size());
    if (s.entry.kind < static_cast<uint32_t>(abi::SectionKind::kFirstUnloaded))
      image_end = std::max(image_end, s.entry.guest_addr + s.entry.mem_size);
  }
  m_header.image_end = image_end;

  std::vector<uint8_t> out(offset, 0);
  memcpy(out.data(), &m_header, sizeof m_header);
  uint8_t* table = out.data() + sizeof m_header;
  for (size_t i = 0; i < m_sections.size(); ++i) {
    const auto& s = m_sections[i];
    memcpy(table + i * sizeof(abi::SectionEntry), &s.entry, sizeof s.entry);
    if (!s.bytes.empty()) memcpy(out.data() + s.entry.file_offset, s.bytes.data(), s.bytes.size());
  }
  // The last unloaded payload need not end on a page boundary.
  if (!m_sections.empty()) {
    const auto& last = m_sections.back();
    if (!last.bytes.empty()) out.resize(last.entry.file_offset + last.bytes.size());
  }
  auto checked = parse_image(out);
  if (!checked) return make_error("internal error: the builder produced an invalid image: " + checked.error().message);
  return out;
}

Result<void> ImageWriter::write(const std::string& path) {
  auto bytes = TRY(finish());
  return write_file_atomic(path, bytes);
}

}  // namespace shoal::image
