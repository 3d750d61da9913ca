#include "size.hpp"

#include <ctype.h>

#include <shoal/abi/layout.h>

namespace shoal::cli {

Result<uint64_t> parse_size(const std::string& text) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < text.size() && isdigit(static_cast<unsigned char>(text[i]))) {
    if (v > (UINT64_MAX - 9) / 10) return make_error("size '" + text + "' is too large");
    v = v * 10 + static_cast<uint64_t>(text[i++] - '0');
  }
  if (i == 0) return make_error("size '" + text + "' is not a number (use e.g. 128M, 1G)");
  std::string suffix = text.substr(i);
  unsigned shift = 0;
  if (suffix.empty() || suffix == "B") shift = 0;
  else if (suffix == "K" || suffix == "k" || suffix == "KiB") shift = 10;
  else if (suffix == "M" || suffix == "m" || suffix == "MiB") shift = 20;
  else if (suffix == "G" || suffix == "g" || suffix == "GiB") shift = 30;
  else return make_error("size '" + text + "' has an unknown suffix (use K, M or G)");
  if (shift && v > (UINT64_MAX >> shift)) return make_error("size '" + text + "' is too large");
  return v << shift;
}

}  // namespace shoal::cli
