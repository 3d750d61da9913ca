// shoal inspect IMAGE: header, sections, rootfs (entries, writable directories),
// symbols count and manifest. A snapshot: its header (cmd_snapshot.cpp).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <shoal/builder/rootfs.hpp>
#include <shoal/image/format.hpp>
#include <shoal/image/snapshot.hpp>

#include "commands.hpp"

namespace shoal::cli {

namespace {
std::string flags_text(uint32_t f) {
  std::string s;
  s += (f & abi::kSectionRead) ? 'r' : '-';
  s += (f & abi::kSectionWrite) ? 'w' : '-';
  s += (f & abi::kSectionExec) ? 'x' : '-';
  return s;
}

std::vector<uint8_t> read_range(int fd, uint64_t off, uint64_t size) {
  std::vector<uint8_t> b(size);
  ssize_t n = pread(fd, b.data(), size, static_cast<off_t>(off));
  b.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return b;
}
}  // namespace

int run_inspect(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(path + ": cannot open: " + strerror(errno));
  uint8_t magic[8] = {};
  if (pread(fd, magic, sizeof magic, 0) == sizeof magic && image::is_snapshot_magic(magic)) {
    close(fd);
    return print_snapshot_summary(path) ? 0 : 1;
  }
  struct stat st;
  fstat(fd, &st);
  auto img = image::read_image(fd, static_cast<uint64_t>(st.st_size));
  if (!img) {
    close(fd);
    return fail(path + ": " + img.error().message);
  }
  const auto& h = img->header;
  printf("image       %s (%lld bytes, version %u)\n", path.c_str(), static_cast<long long>(st.st_size), h.version);
  printf("name        %s\n", h.name);
  printf("components  %#x   devices %#x%s   default memory %llu\n", h.components, h.devices,
         (h.devices & abi::kDeviceNet) ? " (net)" : "",
         static_cast<unsigned long long>(h.default_memory));
  printf("flags       %#x%s\n", h.flags,
         (h.flags & abi::kImageAllowWriteExec) ? " (allow-wx: writable+executable sections allowed)" : "");
  printf("libos       entry %#llx  bounce %#llx  slot %#llx\n", static_cast<unsigned long long>(h.libos_entry),
         static_cast<unsigned long long>(h.libos_syscall_bounce), static_cast<unsigned long long>(h.libos_bounce_slot));
  printf("app         entry %#llx  phdr %#llx  phent %u  phnum %u\n", static_cast<unsigned long long>(h.app_entry),
         static_cast<unsigned long long>(h.app_phdr), h.app_phent, h.app_phnum);
  printf("syscalls    sites %u  rewritten %u  fallback %u\n", h.syscall_sites, h.syscall_rewritten,
         h.syscall_sites - h.syscall_rewritten);
  printf("image_end   %#llx\n\n", static_cast<unsigned long long>(h.image_end));
  printf("  #  kind         flags  file offset   file size    guest addr    mem size\n");
  for (size_t i = 0; i < img->sections.size(); ++i) {
    const auto& s = img->sections[i];
    printf("%3zu  %-12s %-5s  %#10llx  %#10llx  %#12llx  %#10llx\n", i, image::section_kind_name(s.kind),
           s.kind < 16 ? flags_text(s.flags).c_str() : "", static_cast<unsigned long long>(s.file_offset),
           static_cast<unsigned long long>(s.file_size), static_cast<unsigned long long>(s.guest_addr),
           static_cast<unsigned long long>(s.mem_size));
  }
  if (const auto* fs = image::find_section(*img, abi::SectionKind::rootfs)) {
    auto bytes = read_range(fd, fs->file_offset, fs->file_size);
    auto info = builder::read_rootfs(bytes);
    if (!info) {
      printf("\nrootfs      invalid: %s\n", info.error().message.c_str());
    } else {
      printf("\nrootfs      %u entries\n", info->entries);
      for (const auto& w : info->writable) printf("writable    %s\n", w.c_str());
    }
  }
  if (const auto* sym = image::find_section(*img, abi::SectionKind::symbols)) {
    auto bytes = read_range(fd, sym->file_offset, sym->file_size);
    auto table = image::parse_symbols(bytes);
    if (table) printf("\nsymbols     %zu\n", table->size());
    else printf("\nsymbols     invalid: %s\n", table.error().message.c_str());
  }
  if (const auto* man = image::find_section(*img, abi::SectionKind::manifest)) {
    auto bytes = read_range(fd, man->file_offset, std::min<uint64_t>(man->file_size, 1 << 20));
    printf("\n--- manifest ---\n%.*s", static_cast<int>(bytes.size()), reinterpret_cast<const char*>(bytes.data()));
  }
  close(fd);
  return 0;
}

}  // namespace shoal::cli
