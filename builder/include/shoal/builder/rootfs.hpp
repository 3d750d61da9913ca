// Packs a host directory into the image's read-only root filesystem section
// (abi::RootfsHeader layout), deterministically: entries sorted by name,
// parents before children, entry 0 = "/".
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include <shoal/base/result.hpp>

namespace shoal::builder {

struct RootfsLimits {
  uint64_t max_entries = 100000;
  uint64_t max_total_bytes = 2ull << 30;  // whole section
};

struct Rootfs {
  std::vector<uint8_t> bytes;         // the section payload
  uint32_t entries = 0;
  std::vector<std::string> warnings;  // skipped files (devices, sockets, ...)
};

Result<Rootfs> pack_rootfs(const std::string& dir, const RootfsLimits& limits = {});

}  // namespace shoal::builder
