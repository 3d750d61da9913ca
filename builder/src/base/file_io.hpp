// Writing whole files safely (temporary file + rename), for images and caches.
#pragma once

#include <stdint.h>

#include <span>
#include <string>

#include <shoal/base/result.hpp>

namespace shoal {

// Writes `bytes` to `path` via `path.tmp.<pid>` and rename(), so a reader
// never sees a half-written file.
Result<void> write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace shoal
