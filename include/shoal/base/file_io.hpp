// Writing whole files safely (temporary file + rename), for images and caches.
#pragma once

#include <stdint.h>

#include <span>
#include <string>

#include <shoal/base/result.hpp>

namespace shoal {

// Writes `bytes` to `path` via a fresh temporary file (`path.tmp.XXXXXX`,
// created with O_EXCL, so a link planted next to `path` is never followed) and
// rename(), so a reader never sees a half-written file. The file gets mode
// 0644 less the umask.
Result<void> write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace shoal
