#include "image_loader.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include <shoal/abi/layout.h>
#include <shoal/image/format.hpp>

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

bool is_loaded_kind(uint32_t kind) { return kind < static_cast<uint32_t>(SectionKind::kFirstUnloaded); }

}  // namespace

LoadedImage::LoadedImage(LoadedImage&& other) noexcept
    : path(std::move(other.path)),
      fd(std::exchange(other.fd, -1)),
      file_size(other.file_size),
      header(other.header),
      sections(std::move(other.sections)),
      loaded(std::move(other.loaded)),
      image_end(other.image_end),
      rootfs_addr(other.rootfs_addr),
      rootfs_size(other.rootfs_size),
      symbols(std::exchange(other.symbols, {})),
      exec_path(std::move(other.exec_path)),
      m_symbols_map(std::exchange(other.m_symbols_map, nullptr)),
      m_symbols_map_size(std::exchange(other.m_symbols_map_size, 0)) {}

LoadedImage::~LoadedImage() {
  if (m_symbols_map) munmap(m_symbols_map, m_symbols_map_size);
  if (fd >= 0) close(fd);
}

void LoadedImage::close_file() {
  if (fd >= 0) close(fd);
  fd = -1;
}

std::string LoadedImage::program_name() const {
  size_t len = strnlen(header.name, sizeof header.name);
  if (len > 0 && len < sizeof header.name) return std::string(header.name, len);
  return path;
}

Result<LoadedImage> open_image(const std::string& path) {
  LoadedImage img;
  img.path = path;
  img.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (img.fd < 0) {
    int e = errno;
    return make_error("cannot open image " + path + ": " + strerror(e), e);
  }
  struct stat st;
  if (fstat(img.fd, &st) < 0 || !S_ISREG(st.st_mode)) return make_error(path + ": not a regular file");
  img.file_size = static_cast<uint64_t>(st.st_size);
  auto parsed = image::read_image(img.fd, img.file_size);
  if (!parsed) return make_error(path + ": " + parsed.error().message, parsed.error().code);
  img.header = parsed->header;
  img.sections = std::move(parsed->sections);

  for (const auto& s : img.sections) {
    if (is_loaded_kind(s.kind)) {
      img.loaded.push_back({s.guest_addr, s.mem_size, s.flags});
      img.image_end = std::max(img.image_end, s.guest_addr + s.mem_size);
      if (s.kind == static_cast<uint32_t>(SectionKind::rootfs)) {
        img.rootfs_addr = s.guest_addr;
        img.rootfs_size = s.mem_size;
      }
    } else if (s.kind == static_cast<uint32_t>(SectionKind::exec)) {
      // read_image bounded the size; the bytes must be one absolute path.
      std::string p(s.file_size, '\0');
      if (pread(img.fd, p.data(), p.size(), static_cast<off_t>(s.file_offset)) != static_cast<ssize_t>(p.size()))
        return make_error(path + ": cannot read the exec section");
      if (p.back() != '\0' || p[0] != '/' || strlen(p.c_str()) != p.size() - 1)
        return make_error(path + ": the exec section is not one absolute, NUL-terminated path");
      p.pop_back();
      img.exec_path = std::move(p);
    } else if (s.kind == static_cast<uint32_t>(SectionKind::symbols) && s.file_size > 0 && img.symbols.empty()) {
      // Mapped now, read only if a crash report needs it: after seccomp is on,
      // no file can be read.
      uint64_t start = s.file_offset & ~(kPageSize - 1);
      uint64_t skew = s.file_offset - start;
      size_t len = skew + s.file_size;
      void* p = mmap(nullptr, len, PROT_READ, MAP_PRIVATE, img.fd, static_cast<off_t>(start));
      if (p != MAP_FAILED) {
        img.m_symbols_map = p;
        img.m_symbols_map_size = len;
        // SAFETY: the mapping covers [start, start + len) of the file, which
        // read_image checked lies inside it.
        img.symbols = std::span<const uint8_t>(static_cast<const uint8_t*>(p) + skew, s.file_size);
      }
    }
  }
  img.image_end = std::max(img.image_end, img.header.image_end);
  img.image_end = (img.image_end + kPageSize - 1) & ~(kPageSize - 1);
  if (img.loaded.empty()) return make_error(path + ": the image has no loadable sections");
  return img;
}

Result<void> check_memory_size(uint64_t memory_size) {
  if (memory_size < kMinMemory || memory_size > kMaxMemory)
    return make_error("--memory " + describe_bytes(memory_size) + " is outside [" + describe_bytes(kMinMemory) + ", " +
                      describe_bytes(kMaxMemory) + "]");
  if (memory_size % kLargePageSize != 0)
    return make_error("--memory " + describe_bytes(memory_size) + " is not a multiple of 2 MiB");
  return {};
}

Result<void> check_image_fits(const ImageHeader& header, const std::vector<LoadedRange>& loaded,
                              uint64_t memory_size) {
  TRY(check_memory_size(memory_size));
  uint64_t limit = memory_size - kMainStackSize - kStackGuardSize;
  for (const auto& s : loaded) {
    if (s.addr > limit || s.size > limit - s.addr) {
      return make_error("section at " + hex(s.addr) + " + " + describe_bytes(s.size) + " does not fit in " +
                        describe_bytes(memory_size) + " of guest memory below the stack (try a larger --memory)");
    }
  }
  if (header.image_end > limit)
    return make_error("image end " + hex(header.image_end) + " does not fit in " + describe_bytes(memory_size));
  auto inside = [&](uint64_t addr, uint64_t len, uint32_t need) {
    for (const auto& s : loaded) {
      if (addr >= s.addr && len <= s.size && addr - s.addr <= s.size - len && (s.flags & need) == need) return true;
    }
    return false;
  };
  if (!inside(header.libos_entry, 1, kSectionRead | kSectionExec))
    return make_error("LibOS entry " + hex(header.libos_entry) + " is not inside an executable section");
  // Both are encoded as 32-bit immediates in the ring-0 LSTAR stub.
  if (header.libos_syscall_bounce >= (1ull << 31) || !inside(header.libos_syscall_bounce, 1, kSectionRead | kSectionExec))
    return make_error("LibOS syscall bounce " + hex(header.libos_syscall_bounce) +
                      " is not inside an executable section below 2 GiB");
  if (header.libos_bounce_slot >= (1ull << 31) || header.libos_bounce_slot % 8 != 0 ||
      !inside(header.libos_bounce_slot, 8, kSectionRead | kSectionWrite))
    return make_error("LibOS bounce slot " + hex(header.libos_bounce_slot) +
                      " is not an aligned 8-byte slot in a writable section below 2 GiB");
  return {};
}

Result<void> map_sections(const GuestMemory& mem, const LoadedImage& image) {
  for (const auto& s : image.sections) {
    if (!is_loaded_kind(s.kind) || s.file_size == 0) continue;
    auto target = TRY(mem.span(s.guest_addr, s.file_size));
    // SAFETY: target is a checked, page-aligned range inside the guest mapping;
    // MAP_FIXED replaces exactly those pages with the file's.
    void* p = mmap(target.data(), s.file_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, image.fd,
                   static_cast<off_t>(s.file_offset));
    if (p == MAP_FAILED) {
      int e = errno;
      return make_error("cannot map section at " + hex(s.guest_addr) + " from " + image.path + ": " + strerror(e), e);
    }
  }
  return {};
}

}  // namespace shoal::vmm
