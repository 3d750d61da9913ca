#include "fs/rootfs.hpp"

#include <shoal/abi/image.h>

#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
#include "core/panic.hpp"
#include "core/uaccess.hpp"
#include "vfs/alloc.hpp"
#include "vfs/path.hpp"
#include "fs/tmpfs.hpp"
#include "uapi/limits.hpp"
#include "uapi/stat.hpp"

namespace libos::fs {
namespace {

using shoal::abi::RootfsEntry;
using shoal::abi::RootfsHeader;

// Cookies past every entry index list the mounts on "/".
constexpr uint64_t kMountCookie = 1ull << 40;

const char* g_base = nullptr;
const RootfsEntry* g_entries = nullptr;
const char* g_names = nullptr;
uint32_t g_count = 0;
uint64_t g_section_size = 0;  // bytes of the rootfs section (statfs)
const uint32_t* g_writable = nullptr;  // entry indices of the writable directories
uint32_t g_writable_count = 0;

// Used when the image has no root file system: "/" is an empty directory.
const RootfsEntry kEmptyRoot = {0, uapi::S_IFDIR | 0755, 0, 0, 0, 0, 0};

class RootfsNode;
RootfsNode* g_nodes = nullptr;

class RootfsNode final : public Vnode {
 public:
  uint32_t m_index = 0;
  uint32_t m_first_child = 0;   // 0: none (entry 0 is nobody's child)
  uint32_t m_next_sibling = 0;  // ascending index order
  Vnode* m_cover = nullptr;     // a writable directory: the tmpfs mounted over it

  const RootfsEntry& entry() const { return g_entries[m_index]; }
  const char* entry_name() const { return g_names + entry().name_offset; }

  FsId fs() const override { return FsId::root; }
  uint64_t size() override { return entry().size; }

  Vnode* lookup(const char* name, size_t len) override {
    if (m_index == 0) {
      if (Vnode* mounted = mount_lookup(name, len)) return mounted;
    }
    for (uint32_t c = m_first_child; c != 0; c = g_nodes[c].m_next_sibling) {
      const RootfsEntry& e = g_entries[c];
      if (e.name_len == len && memcmp(g_names + e.name_offset, name, len) == 0) {
        return g_nodes[c].m_cover != nullptr ? g_nodes[c].m_cover : &g_nodes[c];
      }
    }
    return nullptr;
  }

  Vnode* parent() override { return &g_nodes[entry().parent]; }

  long name(const char** out, size_t* len) override {
    *out = entry_name();
    *len = entry().name_len;
    return 0;
  }

  bool empty() override { return m_first_child == 0; }

  long readdir(uint64_t cookie, DirEntry* out) override {
    // Cookie of an entry: its index + 2; after the last child of "/" come
    // the mounts (kMountCookie + i); ~0 ends any other directory.
    if (cookie < kMountCookie) {
      for (uint32_t c = m_first_child; c != 0; c = g_nodes[c].m_next_sibling) {
        if (c + kFirstDirCookie < cookie) continue;
        const RootfsNode& child = g_nodes[c];
        // A name a mount covers is listed once, as the mount.
        if (m_index == 0 && mount_lookup(child.entry_name(), child.entry().name_len)) continue;
        uint32_t next = child.m_next_sibling;
        uint64_t after = next != 0 ? next + kFirstDirCookie : (m_index == 0 ? kMountCookie : ~0ull);
        const Vnode& shown = child.m_cover != nullptr ? *child.m_cover : static_cast<const Vnode&>(child);
        *out = DirEntry{shown.m_ino, uapi::dt_type(shown.m_mode), child.entry_name(), child.entry().name_len, after};
        return 1;
      }
      cookie = kMountCookie;
    }
    if (m_index != 0 || cookie == ~0ull) return 0;
    if (mount_entry(cookie - kMountCookie, out) <= 0) return 0;
    out->next = cookie + 1;
    return 1;
  }

  long readlink(const char** target, size_t* len) override {
    if (!is_link()) return -EINVAL;
    *target = g_base + entry().data_offset;
    *len = entry().size;
    return 0;
  }

  long read_at(void* buf, size_t len, uint64_t off) override {
    uint64_t size = entry().size;
    if (off >= size) return 0;
    if (len > size - off) len = size - off;
    memcpy(buf, g_base + entry().data_offset + off, len);
    return static_cast<long>(len);
  }

  long write_at(const void*, size_t, uint64_t) override { return -EROFS; }
};

[[noreturn]] void corrupt(const char* why, uint32_t index) {
  kprint("shoal: corrupt root file system, entry ");
  kprint_u64(index);
  kprint(": ");
  kprint(why);
  kprint("\n");
  panic("corrupt root file system in the image");
}

void validate(uint64_t addr, uint64_t size) {
  // SAFETY: the monitor mapped the rootfs section read-only at addr; check it
  // is guest memory before reading the header.
  if (!user_readable(reinterpret_cast<const void*>(addr), size)) corrupt("section not mapped", 0);
  if (size < sizeof(RootfsHeader)) corrupt("section smaller than its header", 0);
  const auto* hdr = reinterpret_cast<const RootfsHeader*>(addr);
  if (memcmp(hdr->magic, shoal::abi::kRootfsMagic, sizeof(hdr->magic)) != 0) corrupt("bad magic", 0);
  uint64_t count = hdr->entry_count;
  if (count == 0) corrupt("no root directory entry", 0);
  if (count > (size - sizeof(RootfsHeader)) / sizeof(RootfsEntry)) corrupt("entry table past the end", 0);
  if (hdr->names_offset > size || hdr->names_size > size - hdr->names_offset) {
    corrupt("name table past the end", 0);
  }
  const auto* entries = reinterpret_cast<const RootfsEntry*>(addr + sizeof(RootfsHeader));
  const char* names = reinterpret_cast<const char*>(addr + hdr->names_offset);
  for (uint32_t i = 0; i < count; ++i) {
    const RootfsEntry& e = entries[i];
    uint32_t type = e.mode & uapi::S_IFMT;
    if (type != uapi::S_IFDIR && type != uapi::S_IFREG && type != uapi::S_IFLNK) corrupt("bad file type", i);
    if (i == 0) {
      if (type != uapi::S_IFDIR || e.parent != 0) corrupt("entry 0 is not the root directory", i);
      continue;
    }
    if (e.parent >= i) corrupt("parent index not below the entry's", i);
    if ((entries[e.parent].mode & uapi::S_IFMT) != uapi::S_IFDIR) corrupt("parent is not a directory", i);
    if (e.name_len == 0 || e.name_len > uapi::kNameMax) corrupt("bad name length", i);
    if (e.name_offset > hdr->names_size || e.name_len >= hdr->names_size - e.name_offset) {
      corrupt("name past the name table", i);
    }
    const char* name = names + e.name_offset;
    if (name[e.name_len] != '\0') corrupt("name not NUL-terminated", i);
    for (uint32_t k = 0; k < e.name_len; ++k) {
      if (name[k] == '/' || name[k] == '\0') corrupt("name is not one path component", i);
    }
    if (name[0] == '.' && (e.name_len == 1 || (e.name_len == 2 && name[1] == '.'))) {
      corrupt("name is . or ..", i);
    }
    if (type != uapi::S_IFDIR) {
      if (e.data_offset > size || e.size > size - e.data_offset) corrupt("data past the end", i);
      if (type == uapi::S_IFLNK && e.size >= uapi::kPathMax) corrupt("symlink target too long", i);
    }
  }
  uint64_t table = sizeof(RootfsHeader) + count * sizeof(RootfsEntry);
  if (hdr->writable_count > shoal::abi::kMaxRootfsWritable) corrupt("too many writable directories", 0);
  if (hdr->writable_count * sizeof(uint32_t) > size - table) corrupt("writable table past the end", 0);
  const auto* writable = reinterpret_cast<const uint32_t*>(addr + table);
  for (uint32_t k = 0; k < hdr->writable_count; ++k) {
    uint32_t i = writable[k];
    if (i == 0 || i >= count) corrupt("writable index out of range", i);
    if ((entries[i].mode & uapi::S_IFMT) != uapi::S_IFDIR) corrupt("writable entry is not a directory", i);
  }
}

void set_times(Vnode* node, int64_t sec) { node->m_atime_ns = node->m_mtime_ns = node->m_ctime_ns = sec * 1000000000ll; }

// Mounts a tmpfs over the writable directory `dir` and copies the image's
// tree below it in. Descendants of dir have larger indices than dir and their
// parents, so one ascending pass creates every parent before its children;
// `made` (g_count slots, zeroed) maps entries to their copies.
void mount_writable(uint32_t dir, Vnode** made) {
  RootfsNode& node = g_nodes[dir];
  Vnode* root = tmpfs_create_at(&g_nodes[node.entry().parent], node.entry_name(), node.m_mode);
  if (root == nullptr) panic("out of memory mounting a writable directory");
  made[dir] = root;
  for (uint32_t c = dir + 1; c < g_count; ++c) {
    Vnode* parent = made[g_entries[c].parent];
    if (parent == nullptr) continue;  // not below dir
    const RootfsEntry& e = g_entries[c];
    const char* name = g_names + e.name_offset;
    const char* data = g_base + e.data_offset;
    long err = 0;
    Vnode* copy = nullptr;
    if (uapi::s_isdir(e.mode)) {
      err = parent->mkdir(name, e.name_len, e.mode);
    } else if (uapi::s_islnk(e.mode)) {
      err = parent->symlink(name, e.name_len, data, e.size);
    } else {
      err = parent->create(name, e.name_len, e.mode, &copy);
      if (err == 0 && e.size != 0 && copy->write_at(data, e.size, 0) != static_cast<long>(e.size)) err = -ENOSPC;
    }
    if (err < 0) panic("out of memory copying a writable directory");
    made[c] = parent->lookup(name, e.name_len);
  }
  // Times last: creating children touched their directories.
  for (uint32_t c = dir; c < g_count; ++c) {
    if (made[c] != nullptr) set_times(made[c], g_entries[c].mtime_sec);
  }
  node.m_cover = root;
}

}  // namespace

Vnode* rootfs_init(uint64_t addr, uint64_t size) {
  g_section_size = addr == 0 ? 0 : size;
  if (addr == 0) {
    g_base = nullptr;
    g_entries = &kEmptyRoot;
    g_names = "";
    g_count = 1;
  } else {
    validate(addr, size);
    const auto* hdr = reinterpret_cast<const RootfsHeader*>(addr);
    g_base = reinterpret_cast<const char*>(addr);
    g_entries = reinterpret_cast<const RootfsEntry*>(addr + sizeof(RootfsHeader));
    g_names = g_base + hdr->names_offset;
    g_count = hdr->entry_count;
    g_writable = reinterpret_cast<const uint32_t*>(addr + sizeof(RootfsHeader) + g_count * sizeof(RootfsEntry));
    g_writable_count = hdr->writable_count;
  }
  void* mem = kzalloc(sizeof(RootfsNode) * g_count);
  if (mem == nullptr) panic("out of memory for the root file system");
  g_nodes = static_cast<RootfsNode*>(mem);
  for (uint32_t i = 0; i < g_count; ++i) {
    RootfsNode* node = new (&g_nodes[i]) RootfsNode();
    const RootfsEntry& e = g_entries[i];
    node->m_index = i;
    node->m_ino = i + 2;  // as on most Linux file systems, "/" is inode 2
    node->m_mode = e.mode;
    node->m_nlink = uapi::s_isdir(e.mode) ? 2 : 1;
    node->m_mtime_ns = e.mtime_sec * 1000000000ll;
    node->m_atime_ns = node->m_ctime_ns = node->m_mtime_ns;
  }
  // Children lists in ascending index order: push front while walking down.
  for (uint32_t i = g_count; i-- > 1;) {
    RootfsNode& parent = g_nodes[g_entries[i].parent];
    g_nodes[i].m_next_sibling = parent.m_first_child;
    parent.m_first_child = i;
    if (uapi::s_isdir(g_entries[i].mode)) ++parent.m_nlink;
  }
  return &g_nodes[0];
}

uint64_t rootfs_bytes() { return g_section_size; }
uint64_t rootfs_inodes() { return g_count; }

void rootfs_mount_writable() {
  if (g_writable_count == 0) return;
  auto** made = static_cast<Vnode**>(kzalloc(sizeof(Vnode*) * g_count));
  if (made == nullptr) panic("out of memory mounting writable directories");
  for (uint32_t k = 0; k < g_writable_count; ++k) {
    memset(made, 0, sizeof(Vnode*) * g_count);
    mount_writable(g_writable[k], made);
  }
  kfree(made);
}

}  // namespace libos::fs
