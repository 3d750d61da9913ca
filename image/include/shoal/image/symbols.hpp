// The symbols section of a .shoal image (abi::SymbolTableHeader): function
// names of the LibOS and the program, sorted by address, for symbolized crash
// reports. parse_symbols() treats the bytes as hostile; build_symbols() is
// the writer used by `shoal build`.
#pragma once

#include <stdint.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <shoal/abi/image.h>
#include <shoal/base/result.hpp>

namespace shoal::image {

struct SymbolLookup {
  std::string_view name;  // valid as long as the section's bytes
  uint64_t offset;        // addr - symbol start
};

// A view of a validated symbols section: the bytes passed to parse_symbols
// must outlive it. Nothing is copied, so a monitor keeps the symbols of its
// crash reports in the image's page-cache pages, shared by every instance
// (the copy was ~150 KiB of private heap per idle instance: issue 13).
class SymbolTable {
 public:
  SymbolTable() = default;

  size_t size() const { return m_count; }
  // The function containing addr: the last symbol starting at or below addr,
  // if addr is within its size (symbols of size 0 match any addr up to the
  // next symbol).
  std::optional<SymbolLookup> lookup(uint64_t addr) const;
  std::string_view name_at(size_t index) const;
  abi::SymbolEntry entry(size_t index) const;

 private:
  friend Result<SymbolTable> parse_symbols(std::span<const uint8_t> bytes);
// A temporary would leave the table pointing at freed bytes.
Result<SymbolTable> parse_symbols(std::vector<uint8_t>&& bytes) = delete;
  const uint8_t* m_entries = nullptr;  // m_count entries, possibly unaligned
  const char* m_strtab = nullptr;
  size_t m_count = 0;
};

// Validates: header inside, count * entry size inside, sorted by addr, every
// name_offset inside the string table and NUL-terminated there. The table
// returned views `bytes`.
Result<SymbolTable> parse_symbols(std::span<const uint8_t> bytes);
// A temporary would leave the table pointing at freed bytes.
Result<SymbolTable> parse_symbols(std::vector<uint8_t>&& bytes) = delete;

struct SymbolInput {
  uint64_t addr;
  uint32_t size;
  std::string name;
};
// Sorts, drops exact duplicates, and serializes a symbols section.
std::vector<uint8_t> build_symbols(std::vector<SymbolInput> symbols);

}  // namespace shoal::image
