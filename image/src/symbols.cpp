// The symbols section: parsing (hostile input) and building.
#include <string.h>

#include <algorithm>

#include <shoal/base/strf.hpp>
#include <shoal/image/symbols.hpp>

namespace shoal::image {

abi::SymbolEntry SymbolTable::entry(size_t index) const {
  abi::SymbolEntry e;
  // SAFETY: index < m_count, and parse_symbols checked that m_count entries
  // lie inside the bytes; memcpy because they may be unaligned.
  memcpy(&e, m_entries + index * sizeof e, sizeof e);
  return e;
}

std::string_view SymbolTable::name_at(size_t index) const {
  // Validated by parse_symbols: the offset is inside and a NUL follows.
  return std::string_view(m_strtab + entry(index).name_offset);
}

std::optional<SymbolLookup> SymbolTable::lookup(uint64_t addr) const {
  // The first entry above addr (entries are sorted by addr).
  size_t lo = 0, hi = m_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (addr < entry(mid).addr) hi = mid;
    else lo = mid + 1;
  }
  if (lo == 0) return std::nullopt;
  abi::SymbolEntry e = entry(lo - 1);
  uint64_t offset = addr - e.addr;
  if (e.size != 0 && offset >= e.size) return std::nullopt;
  return SymbolLookup{name_at(lo - 1), offset};
}

Result<SymbolTable> parse_symbols(std::span<const uint8_t> bytes) {
  abi::SymbolTableHeader h;
  if (bytes.size() < sizeof h)
    return make_error(strf("symbols: section size {} is smaller than its header", bytes.size()));
  // SAFETY: size checked just above; memcpy because the bytes may be unaligned.
  memcpy(&h, bytes.data(), sizeof h);
  uint64_t entries_size = uint64_t{h.count} * sizeof(abi::SymbolEntry);
  uint64_t need = sizeof h + entries_size + h.strtab_size;
  if (need > bytes.size())
    return make_error(strf("symbols: {} entries and {} bytes of names need {:#x} bytes, section has {:#x}", h.count,
                           h.strtab_size, need, bytes.size()));
  SymbolTable t;
  t.m_entries = bytes.data() + sizeof h;
  t.m_count = h.count;
  // SAFETY: need <= bytes.size() was checked, so the names lie inside the span.
  const char* names = reinterpret_cast<const char*>(bytes.data() + sizeof h + entries_size);
  t.m_strtab = names;
  uint64_t previous = 0;
  for (uint32_t i = 0; i < h.count; ++i) {
    abi::SymbolEntry e = t.entry(i);
    if (i > 0 && e.addr < previous)
      return make_error(strf("symbols: entry {} at {:#x} is below entry {} at {:#x} (not sorted)", i, e.addr, i - 1,
                             previous));
    if (e.name_offset >= h.strtab_size || memchr(names + e.name_offset, 0, h.strtab_size - e.name_offset) == nullptr)
      return make_error(strf("symbols: entry {} name offset {} is outside the {}-byte string table or unterminated", i,
                             e.name_offset, h.strtab_size));
    previous = e.addr;
  }
  return t;
}

std::vector<uint8_t> build_symbols(std::vector<SymbolInput> symbols) {
  std::sort(symbols.begin(), symbols.end(), [](const SymbolInput& a, const SymbolInput& b) {
    return a.addr != b.addr ? a.addr < b.addr : (a.size != b.size ? a.size > b.size : a.name < b.name);
  });
  // One name per address is enough for a backtrace (aliases like memcpy/__memcpy).
  symbols.erase(std::unique(symbols.begin(), symbols.end(),
                            [](const SymbolInput& a, const SymbolInput& b) { return a.addr == b.addr; }),
                symbols.end());
  std::string strtab;
  std::vector<abi::SymbolEntry> entries;
  entries.reserve(symbols.size());
  for (const auto& s : symbols) {
    entries.push_back({s.addr, s.size, static_cast<uint32_t>(strtab.size())});
    strtab.append(s.name);
    strtab.push_back('\0');
  }
  abi::SymbolTableHeader h{static_cast<uint32_t>(entries.size()), static_cast<uint32_t>(strtab.size())};
  std::vector<uint8_t> out(sizeof h + entries.size() * sizeof(abi::SymbolEntry) + strtab.size());
  memcpy(out.data(), &h, sizeof h);
  if (!entries.empty()) memcpy(out.data() + sizeof h, entries.data(), entries.size() * sizeof(abi::SymbolEntry));
  if (!strtab.empty()) memcpy(out.data() + sizeof h + entries.size() * sizeof(abi::SymbolEntry), strtab.data(), strtab.size());
  return out;
}

}  // namespace shoal::image
