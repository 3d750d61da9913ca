#include <shoal/pool/policy/balance_kind.hpp>

#include <array>

namespace shoal::pool::policy {
namespace {

struct KindName {
  BalanceKind kind;
  std::string_view name;
};

constexpr std::array<KindName, 8> kKinds{{
    {BalanceKind::round_robin, "round_robin"},
    {BalanceKind::weighted, "weighted"},
    {BalanceKind::least_conn, "least_conn"},
    {BalanceKind::ip_hash, "ip_hash"},
    {BalanceKind::hash, "hash"},
    {BalanceKind::p2c, "p2c"},
    {BalanceKind::least_time, "least_time"},
    {BalanceKind::warm_first, "warm_first"},
}};

// RFC 9110 token characters: what a header name may contain.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

std::optional<BalanceKind> parse_balance_kind(std::string_view text) {
  for (const KindName& k : kKinds)
    if (k.name == text) return k.kind;
  return std::nullopt;
}

std::string_view balance_kind_name(BalanceKind kind) {
  for (const KindName& k : kKinds)
    if (k.kind == kind) return k.name;
  return "?";
}

std::string_view balance_kind_names() {
  return "round_robin, weighted, least_conn, ip_hash, hash, p2c, least_time, warm_first";
}

std::optional<HashKey> parse_hash_key(std::string_view text) {
  if (text == "url") return HashKey{};
  constexpr std::string_view kHeader = "header:";
  if (!text.starts_with(kHeader)) return std::nullopt;
  std::string_view name = text.substr(kHeader.size());
  if (name.empty() || name.size() > 256) return std::nullopt;
  for (char c : name)
    if (!is_token_char(c)) return std::nullopt;
  return HashKey{HashKey::Source::header, std::string(name)};
}

}  // namespace shoal::pool::policy
