// The human-readable manifest section (TOML) of an image.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace shoal::builder {

struct ManifestInfo {
  std::string name;
  std::string source;
  uint64_t memory;  // 0 = monitor default
  uint32_t syscall_sites;
  uint32_t syscall_rewritten;
  bool rewrite;
  uint32_t rootfs_entries;
  std::vector<std::string> writable;  // directories mounted writable in the guest
  uint32_t devices = 0;               // abi::Devices
  bool allow_wx = false;              // writable+executable sections allowed (abi::kImageAllowWriteExec)
  std::string exec_path;              // dynamic programs: the program's path in the rootfs
  std::string interp;                 // dynamic programs: PT_INTERP
  struct ElfObject {
    std::string path;
    uint64_t size;
    uint32_t sites, rewritten;
  };
  std::vector<ElfObject> elf_objects;  // ELF files in the rootfs
};

std::vector<uint8_t> render_manifest(const ManifestInfo& m);

}  // namespace shoal::builder
