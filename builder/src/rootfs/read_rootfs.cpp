// Host-side reader of a packed root filesystem section: the same checks as
// the LibOS's (libos/fs/rootfs.cpp), reporting errors instead of panicking.
#include <string.h>
#include <sys/stat.h>

#include <shoal/abi/image.h>
#include <shoal/base/strf.hpp>
#include <shoal/builder/rootfs.hpp>

namespace shoal::builder {

Result<RootfsInfo> read_rootfs(std::span<const uint8_t> b) {
  auto bad = [](const std::string& why) { return make_error("rootfs: " + why); };
  abi::RootfsHeader h;
  if (b.size() < sizeof h) return bad("section smaller than its header");
  memcpy(&h, b.data(), sizeof h);
  if (memcmp(h.magic, abi::kRootfsMagic, sizeof h.magic) != 0) return bad("bad magic");
  uint64_t size = b.size();
  if (h.entry_count == 0) return bad("no root directory entry");
  if (h.entry_count > (size - sizeof h) / sizeof(abi::RootfsEntry)) return bad("entry table past the end");
  uint64_t writable_offset = sizeof h + uint64_t{h.entry_count} * sizeof(abi::RootfsEntry);
  if (h.writable_count > abi::kMaxRootfsWritable)
    return bad(strf("{} writable directories (at most {})", h.writable_count, abi::kMaxRootfsWritable));
  if (h.writable_count * sizeof(uint32_t) > size - writable_offset) return bad("writable table past the end");
  if (h.names_offset > size || h.names_size > size - h.names_offset) return bad("name table past the end");

  std::vector<abi::RootfsEntry> entries(h.entry_count);
  memcpy(entries.data(), b.data() + sizeof h, entries.size() * sizeof(abi::RootfsEntry));
  const char* names = reinterpret_cast<const char*>(b.data() + h.names_offset);
  std::vector<std::string> paths(entries.size());
  paths[0].push_back('/');  // not = "/": GCC 12 -O3 warns falsely (-Wrestrict)
  for (uint32_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    uint32_t type = e.mode & S_IFMT;
    auto entry_bad = [&](const char* why) { return bad(strf("entry {}: {}", i, why)); };
    if (type != S_IFDIR && type != S_IFREG && type != S_IFLNK) return entry_bad("bad file type");
    if (i == 0) {
      if (type != S_IFDIR || e.parent != 0) return entry_bad("entry 0 is not the root directory");
      continue;
    }
    if (e.parent >= i) return entry_bad("parent index not below the entry's");
    if ((entries[e.parent].mode & S_IFMT) != S_IFDIR) return entry_bad("parent is not a directory");
    if (e.name_len == 0 || e.name_len > 255) return entry_bad("bad name length");
    if (e.name_offset > h.names_size || e.name_len >= h.names_size - e.name_offset)
      return entry_bad("name past the name table");
    std::string_view name(names + e.name_offset, e.name_len);
    if (names[e.name_offset + e.name_len] != '\0') return entry_bad("name not NUL-terminated");
    if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos)
      return entry_bad("name is not one path component");
    if (name == "." || name == "..") return entry_bad("name is . or ..");
    if (type != S_IFDIR && (e.data_offset > size || e.size > size - e.data_offset))
      return entry_bad("data past the end");
    paths[i] = (e.parent == 0 ? "" : paths[e.parent]) + "/" + std::string(name);
  }

  RootfsInfo info;
  info.entries = h.entry_count;
  for (uint32_t k = 0; k < h.writable_count; ++k) {
    uint32_t index;
    memcpy(&index, b.data() + writable_offset + k * sizeof index, sizeof index);
    if (index == 0 || index >= h.entry_count)
      return bad(strf("writable {}: entry index {} out of range [1, {})", k, index, h.entry_count));
    if ((entries[index].mode & S_IFMT) != S_IFDIR)
      return bad(strf("writable {}: entry {} ({}) is not a directory", k, index, paths[index]));
    info.writable.push_back(paths[index]);
  }
  return info;
}

}  // namespace shoal::builder
