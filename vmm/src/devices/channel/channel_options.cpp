#include "devices/channel/channel_options.hpp"

namespace shoal::vmm {

Result<ChannelFds> parse_channel_fds(const std::string& text) {
  int fds[3];
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    size_t start = pos;
    long value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 9) {
      value = value * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == start || (pos < text.size() && text[pos] >= '0' && text[pos] <= '9'))
      return make_error("'" + text + "': expected MEMFD,TO_HOST_FD,TO_GUEST_FD (three descriptor numbers)");
    if (i < 2) {
      if (pos >= text.size() || text[pos] != ',')
        return make_error("'" + text + "': expected MEMFD,TO_HOST_FD,TO_GUEST_FD (three descriptor numbers)");
      ++pos;
    }
    fds[i] = static_cast<int>(value);
  }
  if (pos != text.size())
    return make_error("'" + text + "': expected MEMFD,TO_HOST_FD,TO_GUEST_FD (three descriptor numbers)");
  for (int i = 0; i < 3; ++i) {
    if (fds[i] <= 2)
      return make_error("'" + text + "': descriptor " + std::to_string(fds[i]) + " is the console's");
    for (int j = 0; j < i; ++j)
      if (fds[i] == fds[j]) return make_error("'" + text + "': descriptor " + std::to_string(fds[i]) + " given twice");
  }
  return ChannelFds{fds[0], fds[1], fds[2]};
}

}  // namespace shoal::vmm
