#include <shoal/pool/spec/values.hpp>

#include <arpa/inet.h>

#include <array>
#include <string>

namespace shoal::pool::spec {
namespace {

constexpr int64_t kMaxDurationNs = 30ll * 24 * 3600 * 1000000000ll;
constexpr uint64_t kMaxSize = 1ull << 50;

struct Unit {
  std::string_view name;
  int64_t ns;
};
constexpr std::array<Unit, 6> kUnits{{
    {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {"m", 60ll * 1000000000}, {"h", 3600ll * 1000000000},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

Error bad_duration(std::string_view text) {
  return make_error("invalid duration \"" + std::string(text) + "\" (use e.g. \"250ms\", \"30s\", \"1m30s\")");
}

Error bad_size(std::string_view text) {
  return make_error("invalid size \"" + std::string(text) + "\" (use e.g. \"64M\", \"512K\", \"1G\")");
}

Error bad_endpoint(std::string_view text) {
  return make_error("invalid address \"" + std::string(text) + "\" (use \"127.0.0.1:8080\" or \"[::1]:8080\")");
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  if (text == "0") return Duration{0};
  if (text.empty() || text.size() > 64) return bad_duration(text);
  int64_t total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    // <digits>[.<digits>]<unit>
    int64_t whole = 0;
    size_t start = pos;
    while (pos < text.size() && is_digit(text[pos])) {
      if (whole > kMaxDurationNs) return make_error("duration \"" + std::string(text) + "\" is too long");
      whole = whole * 10 + (text[pos++] - '0');
    }
    if (pos == start) return bad_duration(text);
    int64_t frac = 0, frac_scale = 1;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;  // digits on both sides of the point: "1.5s", not "1.s" or ".5s"
      if (pos == text.size() || !is_digit(text[pos])) return bad_duration(text);
      while (pos < text.size() && is_digit(text[pos])) {
        if (frac_scale < 1000000000) {  // digits past nanoseconds are dropped
          frac = frac * 10 + (text[pos] - '0');
          frac_scale *= 10;
        }
        ++pos;
      }
    }
    size_t unit_start = pos;
    while (pos < text.size() && text[pos] >= 'a' && text[pos] <= 'z') ++pos;
    std::string_view unit_name = text.substr(unit_start, pos - unit_start);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits)
      if (u.name == unit_name) unit = &u;
    if (!unit) return bad_duration(text);
    if (whole > kMaxDurationNs / unit->ns) return make_error("duration \"" + std::string(text) + "\" is too long");
    total += whole * unit->ns + static_cast<int64_t>(static_cast<__int128>(frac) * unit->ns / frac_scale);
    if (total > kMaxDurationNs) return make_error("duration \"" + std::string(text) + "\" is too long");
  }
  return Duration{total};
}

Result<uint64_t> parse_size(std::string_view text) {
  if (text.empty() || text.size() > 32 || !is_digit(text[0])) return bad_size(text);
  size_t pos = 0;
  uint64_t value = 0;
  while (pos < text.size() && is_digit(text[pos])) {
    if (value > kMaxSize) return make_error("size \"" + std::string(text) + "\" is too large");
    value = value * 10 + static_cast<uint64_t>(text[pos++] - '0');
  }
  unsigned shift = 0;
  if (pos < text.size()) {
    switch (text[pos]) {
      case 'k': case 'K': shift = 10; break;
      case 'm': case 'M': shift = 20; break;
      case 'g': case 'G': shift = 30; break;
      case 't': case 'T': shift = 40; break;
      default: return bad_size(text);
    }
    ++pos;
    std::string_view rest = text.substr(pos);
    if (!(rest.empty() || rest == "B" || rest == "iB")) return bad_size(text);
    pos = text.size();
  }
  if (value > (kMaxSize >> shift)) return make_error("size \"" + std::string(text) + "\" is too large");
  return value << shift;
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || text.size() > 64) return bad_endpoint(text);
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  Endpoint e;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad_endpoint(text);
    e.host = std::string(host.substr(1, host.size() - 2));
    in6_addr a6;
    if (inet_pton(AF_INET6, e.host.c_str(), &a6) != 1) return bad_endpoint(text);
  } else {
    e.host = std::string(host);
    in_addr a4;
    if (e.host != "localhost" && inet_pton(AF_INET, e.host.c_str(), &a4) != 1) return bad_endpoint(text);
  }
  if (port_text.empty() || port_text.size() > 5) return bad_endpoint(text);
  uint32_t port = 0;
  for (char c : port_text) {
    if (!is_digit(c)) return bad_endpoint(text);
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port < 1 || port > 65535) return make_error("port must be between 1 and 65535");
  e.port = static_cast<uint16_t>(port);
  return e;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-')) return false;
  return true;
}

std::string format_duration(Duration d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out += '-';
    ns = -ns;
  }
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    if (ns >= it->ns) {
      out += std::to_string(ns / it->ns);
      out += it->name;
      ns %= it->ns;
    }
  }
  return out;
}

}  // namespace shoal::pool::spec
