// Sizes on the command line: "128M", "1G", "65536", "512K" (powers of 1024).
#pragma once

#include <stdint.h>

#include <string>

#include <shoal/base/result.hpp>

namespace shoal::cli {

Result<uint64_t> parse_size(const std::string& text);

}  // namespace shoal::cli
