#include "log_ring.hpp"

namespace shoal::pool {

void LogRing::append(LogStream stream, std::string_view bytes, uint64_t now_ns) {
  std::string& partial = m_partial[static_cast<int>(stream)];
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    std::string_view piece = bytes.substr(0, nl);
    size_t room = kMaxLine - partial.size();
    if (piece.size() >= room) {
      // An overlong line is cut into kMaxLine pieces rather than buffered.
      partial.append(piece.substr(0, room));
      store(stream, std::move(partial), now_ns);
      partial.clear();
      bytes.remove_prefix(room);
      continue;
    }
    partial.append(piece);
    if (nl == std::string_view::npos) break;
    if (!partial.empty() && partial.back() == '\r') partial.pop_back();
    store(stream, std::move(partial), now_ns);
    partial.clear();
    bytes.remove_prefix(nl + 1);
  }
}

void LogRing::flush(uint64_t now_ns) {
  for (int s = 0; s < 2; ++s) {
    if (m_partial[s].empty()) continue;
    store(static_cast<LogStream>(s), std::move(m_partial[s]), now_ns);
    m_partial[s].clear();
  }
}

void LogRing::store(LogStream stream, std::string text, uint64_t now_ns) {
  m_bytes += text.size() + 1;
  m_lines.push_back(LogLine{now_ns, stream, std::move(text)});
  ++m_seq;
  while (m_bytes > m_capacity && m_lines.size() > 1) {
    m_bytes -= m_lines.front().text.size() + 1;
    m_lines.pop_front();
    ++m_dropped;
  }
}

std::vector<std::string> LogRing::tail(LogStream stream, size_t max_lines) const {
  std::vector<std::string> out;
  for (auto it = m_lines.rbegin(); it != m_lines.rend() && out.size() < max_lines; ++it)
    if (it->stream == stream) out.push_back(it->text);
  return {out.rbegin(), out.rend()};
}

}  // namespace shoal::pool
