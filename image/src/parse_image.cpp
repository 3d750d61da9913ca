// Validation of .shoal images. Every field of an image is hostile input: this
// file is the only place that decides whether the monitor may map one.
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>

#include <shoal/abi/layout.h>
#include <shoal/base/strf.hpp>
#include <shoal/image/format.hpp>

namespace shoal::image {

using abi::ImageHeader;
using abi::SectionEntry;
using abi::SectionKind;

const char* section_kind_name(uint32_t kind) {
  switch (static_cast<SectionKind>(kind)) {
    case SectionKind::libos: return "libos";
    case SectionKind::app: return "app";
    case SectionKind::trampolines: return "trampolines";
    case SectionKind::rootfs: return "rootfs";
    case SectionKind::symbols: return "symbols";
    case SectionKind::manifest: return "manifest";
    case SectionKind::exec: return "exec";
  }
  return "unknown";
}

const SectionEntry* find_section(const Image& image, SectionKind kind) {
  for (const auto& s : image.sections)
    if (s.kind == static_cast<uint32_t>(kind)) return &s;
  return nullptr;
}

namespace {

constexpr uint32_t kKnownFlags = abi::kSectionRead | abi::kSectionWrite | abi::kSectionExec;
constexpr uint32_t kKnownComponents =
    abi::kComponentCore | abi::kComponentConsole | abi::kComponentFiles;

bool is_loaded(uint32_t kind) { return kind < static_cast<uint32_t>(SectionKind::kFirstUnloaded); }
bool aligned(uint64_t v) { return v % abi::kPageSize == 0; }

Error section_error(size_t i, const SectionEntry& s, const std::string& what) {
  return make_error(strf("image: section {} ({}) {}", i, section_kind_name(s.kind), what));
}

// Checks one section on its own (not against the others).
Result<void> check_section(size_t i, const SectionEntry& s, uint64_t file_size, uint64_t table_end,
                           uint32_t image_flags) {
  if (s.file_offset > file_size || s.file_size > file_size - s.file_offset)
    return section_error(i, s, strf("file range {:#x}+{:#x} exceeds file size {:#x}",
                                           s.file_offset, s.file_size, file_size));
  if (s.file_size != 0 && s.file_offset < table_end)
    return section_error(i, s, strf("file offset {:#x} overlaps the header and section table (end {:#x})",
                                           s.file_offset, table_end));
  if (!is_loaded(s.kind)) {
    if (s.kind != static_cast<uint32_t>(SectionKind::symbols) &&
        s.kind != static_cast<uint32_t>(SectionKind::manifest) && s.kind != static_cast<uint32_t>(SectionKind::exec))
      return make_error(strf("image: section {} has unknown kind {}", i, s.kind));
    if (s.guest_addr != 0 || s.mem_size != 0)
      return section_error(i, s, strf("is not loaded but has guest range {:#x}+{:#x}",
                                             s.guest_addr, s.mem_size));
    if (s.kind == static_cast<uint32_t>(SectionKind::exec) && (s.file_size < 2 || s.file_size > abi::kMaxExecPath))
      return section_error(i, s, strf("size {} is not a path of 1 to {} bytes", s.file_size, abi::kMaxExecPath - 1));
    return {};
  }
  if (s.kind < static_cast<uint32_t>(SectionKind::libos) || s.kind > static_cast<uint32_t>(SectionKind::rootfs))
    return make_error(strf("image: section {} has unknown kind {}", i, s.kind));
  if (s.flags & ~kKnownFlags)
    return section_error(i, s, strf("has unknown flags {:#x}", s.flags));
  // NOTE: the builder refuses W+X programs too, but the image is hostile
  // input: this check is the one the monitor relies on.
  if ((s.flags & abi::kSectionWrite) && (s.flags & abi::kSectionExec) && !(image_flags & abi::kImageAllowWriteExec))
    return section_error(i, s, strf("at {:#x}+{:#x} is both writable and executable, and the image does not "
                                    "declare that its program needs it (shoal build --allow-wx)",
                                    s.guest_addr, s.mem_size));
  if (!aligned(s.file_offset) || !aligned(s.file_size) || !aligned(s.guest_addr) || !aligned(s.mem_size))
    return section_error(i, s, strf("is not page-aligned: file {:#x}+{:#x}, guest {:#x}+{:#x}",
                                           s.file_offset, s.file_size, s.guest_addr, s.mem_size));
  if (s.mem_size == 0) return section_error(i, s, "is empty (mem_size 0)");
  if (s.file_size > s.mem_size)
    return section_error(i, s, strf("file_size {:#x} exceeds mem_size {:#x}", s.file_size, s.mem_size));
  if (s.guest_addr > abi::kMaxMemory || s.mem_size > abi::kMaxMemory - s.guest_addr)
    return section_error(i, s, strf("guest range {:#x}+{:#x} exceeds the largest guest memory {:#x}",
                                           s.guest_addr, s.mem_size, abi::kMaxMemory));
  uint64_t end = s.guest_addr + s.mem_size;
  if (s.kind == static_cast<uint32_t>(SectionKind::libos)) {
    if (s.guest_addr < abi::kLibosBase || end > abi::kLibosLimit)
      return section_error(i, s, strf("guest range {:#x}-{:#x} is outside the LibOS area {:#x}-{:#x}",
                                             s.guest_addr, end, abi::kLibosBase, abi::kLibosLimit));
  } else if (s.guest_addr < abi::kAppMinAddr) {
    return section_error(i, s, strf("guest address {:#x} is below {:#x}", s.guest_addr, abi::kAppMinAddr));
  }
  return {};
}

// Is [addr, addr+len) inside a loaded section of `kind` having all of `flags`?
bool inside(const Image& img, SectionKind kind, uint32_t flags, uint64_t addr, uint64_t len) {
  for (const auto& s : img.sections) {
    if (s.kind != static_cast<uint32_t>(kind) || (s.flags & flags) != flags) continue;
    if (addr >= s.guest_addr && addr - s.guest_addr < s.mem_size && len <= s.mem_size - (addr - s.guest_addr))
      return true;
  }
  return false;
}

Result<void> check_header_addresses(const Image& img) {
  const ImageHeader& h = img.header;
  if (!inside(img, SectionKind::libos, abi::kSectionExec, h.libos_entry, 1))
    return make_error(strf("image: libos_entry {:#x} is not inside an executable libos section", h.libos_entry));
  if (!inside(img, SectionKind::libos, abi::kSectionExec, h.libos_syscall_bounce, 1))
    return make_error(strf("image: libos_syscall_bounce {:#x} is not inside an executable libos section",
                                  h.libos_syscall_bounce));
  if (!inside(img, SectionKind::libos, abi::kSectionWrite, h.libos_bounce_slot, 8) || h.libos_bounce_slot % 8)
    return make_error(strf("image: libos_bounce_slot {:#x} is not an aligned 8-byte slot inside a writable libos section",
                                  h.libos_bounce_slot));
  if (!inside(img, SectionKind::app, abi::kSectionExec, h.app_entry, 1))
    return make_error(strf("image: app_entry {:#x} is not inside an executable app section", h.app_entry));
  uint64_t phdr_len = uint64_t{h.app_phent} * h.app_phnum;
  if (h.app_phnum == 0 || h.app_phent < 56)
    return make_error(strf("image: app program headers: phent {} phnum {} (need phent >= 56, phnum >= 1)",
                                  h.app_phent, h.app_phnum));
  if (!inside(img, SectionKind::app, 0, h.app_phdr, phdr_len))
    return make_error(strf("image: app_phdr {:#x}+{:#x} is not inside a loaded app section", h.app_phdr, phdr_len));
  return {};
}

Result<void> check_header_fields(const ImageHeader& h) {
  if (memcmp(h.magic, abi::kImageMagic, sizeof h.magic) != 0)
    return make_error("image: not a shoal image (bad magic)");
  if (h.version != abi::kImageVersion)
    return make_error(strf("image: unsupported version {} (this build reads version {})", h.version,
                                  abi::kImageVersion));
  if (h.section_count > abi::kMaxSections)
    return make_error(strf("image: section_count {} exceeds the maximum {}", h.section_count, abi::kMaxSections));
  if (h.components & ~kKnownComponents)
    return make_error(strf("image: unknown components {:#x}", h.components & ~kKnownComponents));
  if (!(h.components & abi::kComponentCore)) return make_error("image: components lack core");
  if (h.devices & ~abi::kKnownDevices)
    return make_error(strf("image: unknown devices {:#x}", h.devices & ~abi::kKnownDevices));
  if (h.flags & ~abi::kKnownImageFlags)
    return make_error(strf("image: unknown flags {:#x}", h.flags & ~abi::kKnownImageFlags));
  if (h.syscall_rewritten > h.syscall_sites)
    return make_error(strf("image: syscall_rewritten {} exceeds syscall_sites {}", h.syscall_rewritten,
                                  h.syscall_sites));
  if (memchr(h.name, 0, sizeof h.name) == nullptr) return make_error("image: name is not NUL-terminated");
  if (h.default_memory != 0 &&
      (h.default_memory < abi::kMinMemory || h.default_memory > abi::kMaxMemory || !aligned(h.default_memory)))
    return make_error(strf("image: default_memory {:#x} is not a page multiple in [{:#x}, {:#x}]",
                                  h.default_memory, abi::kMinMemory, abi::kMaxMemory));
  return {};
}

// Header and table are already in `img`; validate everything.
Result<void> validate(const Image& img, uint64_t file_size) {
  uint64_t table_end = sizeof(ImageHeader) + uint64_t{img.header.section_count} * sizeof(SectionEntry);
  for (size_t i = 0; i < img.sections.size(); ++i)
    TRY(check_section(i, img.sections[i], file_size, table_end, img.header.flags));

  // Loaded guest ranges must be pairwise disjoint: sort indices by address.
  std::vector<size_t> loaded;
  uint64_t highest = 0;
  for (size_t i = 0; i < img.sections.size(); ++i) {
    if (!is_loaded(img.sections[i].kind)) continue;
    loaded.push_back(i);
    highest = std::max(highest, img.sections[i].guest_addr + img.sections[i].mem_size);
  }
  std::sort(loaded.begin(), loaded.end(),
            [&](size_t a, size_t b) { return img.sections[a].guest_addr < img.sections[b].guest_addr; });
  for (size_t k = 1; k < loaded.size(); ++k) {
    const SectionEntry& prev = img.sections[loaded[k - 1]];
    const SectionEntry& cur = img.sections[loaded[k]];
    if (cur.guest_addr < prev.guest_addr + prev.mem_size)
      return make_error(strf("image: section {} ({}) guest range {:#x}+{:#x} overlaps section {} ({}) {:#x}+{:#x}",
                                    loaded[k], section_kind_name(cur.kind), cur.guest_addr, cur.mem_size,
                                    loaded[k - 1], section_kind_name(prev.kind), prev.guest_addr, prev.mem_size));
  }
  if (img.header.image_end != highest)
    return make_error(strf("image: image_end {:#x} is not the end of the highest loaded section {:#x}",
                                  img.header.image_end, highest));
  TRY(check_header_addresses(img));
  // A dynamic program's interpreter and libraries live in the rootfs, and its
  // path there is the exec section. A static program packed with others for
  // execve (shoal build --add) has its path there too; without a rootfs an
  // exec section names nothing.
  bool dynamic = (img.header.flags & abi::kImageDynamic) != 0;
  bool has_exec = find_section(img, SectionKind::exec) != nullptr;
  bool has_rootfs = find_section(img, SectionKind::rootfs) != nullptr;
  if (dynamic && (!has_exec || !has_rootfs))
    return make_error("image: flagged dynamic (kImageDynamic) but has no exec or no rootfs section");
  if (has_exec && !has_rootfs) return make_error("image: an exec section in an image without a rootfs section");
  return {};
}

}  // namespace

Result<Image> read_image(int fd, uint64_t file_size) {
  Image img{};
  if (file_size < sizeof(ImageHeader))
    return make_error(strf("image: not a shoal image (file size {:#x} is smaller than the header)", file_size));
  if (pread(fd, &img.header, sizeof img.header, 0) != static_cast<ssize_t>(sizeof img.header))
    return make_error("image: cannot read the header", errno);
  TRY(check_header_fields(img.header));
  uint64_t table_size = uint64_t{img.header.section_count} * sizeof(SectionEntry);
  if (table_size > file_size - sizeof(ImageHeader))
    return make_error(strf("image: section table {:#x}+{:#x} exceeds file size {:#x}", sizeof(ImageHeader),
                                  table_size, file_size));
  img.sections.resize(img.header.section_count);
  if (table_size != 0 &&
      pread(fd, img.sections.data(), table_size, sizeof(ImageHeader)) != static_cast<ssize_t>(table_size))
    return make_error("image: cannot read the section table", errno);
  TRY(validate(img, file_size));
  return img;
}

Result<Image> parse_image(std::span<const uint8_t> bytes) {
  Image img{};
  if (bytes.size() < sizeof(ImageHeader))
    return make_error(strf("image: not a shoal image (file size {:#x} is smaller than the header)", bytes.size()));
  // SAFETY: the size was checked above; memcpy because the bytes may be unaligned.
  memcpy(&img.header, bytes.data(), sizeof img.header);
  TRY(check_header_fields(img.header));
  uint64_t table_size = uint64_t{img.header.section_count} * sizeof(SectionEntry);
  if (table_size > bytes.size() - sizeof(ImageHeader))
    return make_error(strf("image: section table {:#x}+{:#x} exceeds file size {:#x}", sizeof(ImageHeader),
                                  table_size, bytes.size()));
  img.sections.resize(img.header.section_count);
  if (table_size != 0) memcpy(img.sections.data(), bytes.data() + sizeof(ImageHeader), table_size);
  TRY(validate(img, bytes.size()));
  return img;
}

}  // namespace shoal::image
