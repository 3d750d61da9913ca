// Reading a body by its framing.
#include <shoal/pool/http/body_reader.hpp>

#include <algorithm>

namespace shoal::pool::http {

void BodyReader::reset(BodyFraming framing, const Limits& limits) {
  m_kind = framing.kind;
  m_failed = false;
  m_body_bytes = 0;
  m_max_body = limits.max_body;
  m_remaining = framing.kind == BodyKind::length ? framing.length : 0;
  m_done = framing.kind == BodyKind::none || (framing.kind == BodyKind::length && framing.length == 0);
  if (framing.kind == BodyKind::chunked) m_chunked.reset(limits);
}

BodyStep BodyReader::read(std::string_view in) {
  if (m_done) return BodyStep{BodyStatus::done, 0, {}, 0, {}};
  switch (m_kind) {
    case BodyKind::none:
      break;
    case BodyKind::length: {
      size_t take = static_cast<size_t>(std::min<uint64_t>(m_remaining, in.size()));
      m_remaining -= take;
      m_body_bytes += take;
      m_done = m_remaining == 0;
      return BodyStep{m_done ? BodyStatus::done : BodyStatus::in_progress, take, in.substr(0, take), 0, {}};
    }
    case BodyKind::chunked: {
      BodyStep s = m_chunked.decode(in);
      m_body_bytes += s.data.size();
      if (s.status == BodyStatus::done) m_done = true;
      if (s.status == BodyStatus::error) m_failed = true;
      return s;
    }
    case BodyKind::until_close: {
      // Data up to the limit is handed out, the first byte past it is the
      // error: the same bytes come out however the input is split.
      uint64_t allowed = m_max_body - m_body_bytes;
      if (m_failed || (allowed == 0 && !in.empty())) {
        m_failed = true;
        return BodyStep{BodyStatus::error, 0, {}, 413, "body larger than allowed"};
      }
      size_t take = static_cast<size_t>(std::min<uint64_t>(allowed, in.size()));
      m_body_bytes += take;
      return BodyStep{BodyStatus::in_progress, take, in.substr(0, take), 0, {}};
    }
  }
  return BodyStep{BodyStatus::done, 0, {}, 0, {}};
}

bool BodyReader::finish_at_eof() {
  if (m_done) return true;
  if (m_kind == BodyKind::until_close && !m_failed) {
    m_done = true;
    return true;
  }
  return false;
}

}  // namespace shoal::pool::http
