// Root filesystem packer. Layout of the section:
//   RootfsHeader | RootfsEntry[entry_count] | uint32 writable[writable_count] |
//   names (NUL-terminated) | data
// File data is 16-byte aligned; the LibOS reads everything in place.
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include <shoal/abi/image.h>
#include <shoal/base/strf.hpp>
#include <shoal/builder/dynamic.hpp>
#include <shoal/builder/elf_program.hpp>
#include <shoal/builder/rootfs.hpp>

namespace shoal::builder {

namespace {

constexpr size_t kNameMax = 255;

struct Node {
  std::string host_path;
  std::string name;
  uint32_t parent;
  uint32_t mode;
  int64_t mtime;
  std::vector<uint8_t> data;  // file contents or symlink target
};

class Packer {
 public:
  Packer(const RootfsLimits& limits, Rootfs& out) : m_limits(limits), m_out(out) {}

  Result<void> add_dir_children(const std::string& path, uint32_t index) {
    m_expanded.insert(index);
    DIR* dir = opendir(path.c_str());
    if (dir == nullptr) return make_error(strf("{}: cannot open directory: {}", path, strerror(errno)), errno);
    std::vector<std::string> names;
    while (struct dirent* de = readdir(dir)) {
      std::string n = de->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    closedir(dir);
    std::sort(names.begin(), names.end());
    bool merge = false;
    if (m_merging)
      for (uint32_t k = index + 1; k < m_nodes.size() && !merge; ++k) merge = m_nodes[k].parent == index;
    std::vector<uint32_t> subdirs;
    for (const auto& n : names) {
      // An extra tree may merge into a directory that already has entries.
      if (merge && child_of(index, n) != 0) continue;
      std::string child = path + "/" + n;
      struct stat st;
      if (lstat(child.c_str(), &st) != 0) return make_error(strf("{}: {}", child, strerror(errno)), errno);
      if (n.size() > kNameMax) return make_error(strf("{}: name longer than {} bytes", child, kNameMax));
      Node node{child, n, index, static_cast<uint32_t>(st.st_mode), static_cast<int64_t>(st.st_mtim.tv_sec), {}};
      if (S_ISREG(st.st_mode)) {
        node.data = TRY(read_file(child, m_limits.max_total_bytes));
      } else if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t n = readlink(child.c_str(), buf, sizeof buf);
        if (n < 0) return make_error(strf("{}: readlink: {}", child, strerror(errno)), errno);
        node.data.assign(buf, buf + n);
      } else if (!S_ISDIR(st.st_mode)) {
        m_out.warnings.push_back(strf("{}: skipped (not a regular file, directory or symlink)", child));
        continue;
      }
      m_total += node.data.size() + n.size() + 1 + sizeof(abi::RootfsEntry) + 16;
      if (m_nodes.size() + 1 > m_limits.max_entries)
        return make_error(strf("{}: more than {} files in the root filesystem", child, m_limits.max_entries));
      if (m_total > m_limits.max_total_bytes)
        return make_error(strf("{}: the root filesystem exceeds {} bytes", child, m_limits.max_total_bytes));
      bool is_dir = S_ISDIR(st.st_mode);
      m_nodes.push_back(std::move(node));
      if (is_dir) subdirs.push_back(static_cast<uint32_t>(m_nodes.size() - 1));
    }
    // Children of one directory get consecutive indices; subdirectories are
    // expanded after, so every parent index is below its children's.
    // NOTE: copy the path: m_nodes grows (and moves) during the recursion.
    for (uint32_t sub : subdirs) {
      std::string sub_path = m_nodes[sub].host_path;
      TRY(add_dir_children(sub_path, sub));
    }
    return {};
  }

  Result<void> pack(const std::string& root, const std::vector<std::string>& writable, const RootfsExtras& extras) {
    if (root.empty()) {
      m_nodes.push_back({"", "", 0, S_IFDIR | 0755, 0, {}});
    } else {
      struct stat st;
      if (stat(root.c_str(), &st) != 0) return make_error(strf("{}: {}", root, strerror(errno)), errno);
      if (!S_ISDIR(st.st_mode)) return make_error(strf("{}: not a directory", root));
      m_nodes.push_back({root, "", 0, static_cast<uint32_t>(st.st_mode), static_cast<int64_t>(st.st_mtim.tv_sec), {}});
      TRY(add_dir_children(root, 0));
    }
    m_merging = true;
    for (const auto& f : extras.files) TRY(add_host_path(f, false, 0));
    for (const auto& t : extras.trees) TRY(add_host_path(t, true, 0));
    for (const auto& [path, target] : extras.links) TRY(add_link(path, target));
    TRY(add_writable(writable));
    if (extras.elf_objects) {
      auto as_is = [](const std::string&, std::vector<uint8_t> bytes) -> Result<PackedElf> {
        return PackedElf{std::move(bytes), 0, 0};
      };
      if (extras.elf_hook)
        TRY(pass_elf_objects(extras.elf_hook));
      else
        TRY(pass_elf_objects(as_is));
    }
    serialize();
    return {};
  }

 private:
  // The entry named `name` in directory `dir`, or 0.
  uint32_t child_of(uint32_t dir, const std::string& name) const {
    for (uint32_t k = 1; k < m_nodes.size(); ++k)
      if (m_nodes[k].parent == dir && m_nodes[k].name == name) return k;
    return 0;
  }

  // The path of entry k in the image.
  std::string image_path(uint32_t k) const {
    std::string p;
    for (; k != 0; k = m_nodes[k].parent) p = "/" + m_nodes[k].name + p;
    return p.empty() ? "/" : p;
  }

  // Packs the host path `path` at its own path, component by component as
  // the host has them: a missing directory is created with the host's mode,
  // a symlink is packed as one and followed (its target packed too), the
  // last component is a file, or a directory packed whole when `tree`.
  Result<void> add_host_path(const std::string& path, bool tree, int depth) {
    if (path.empty() || path[0] != '/') return make_error(strf("{}: not an absolute path", path));
    if (depth > 40) return make_error(strf("{}: too many levels of symbolic links", path));
    uint32_t cur = 0;
    std::string prefix;
    size_t i = 0;
    while (i < path.size()) {
      size_t j = path.find('/', i);
      if (j == std::string::npos) j = path.size();
      std::string name = path.substr(i, j - i);
      i = j + 1;
      if (name.empty() || name == ".") continue;
      if (name == "..") {
        cur = m_nodes[cur].parent;
        prefix = prefix.substr(0, prefix.rfind('/'));
        continue;
      }
      if (name.size() > kNameMax) return make_error(strf("{}: name longer than {} bytes", path, kNameMax));
      prefix += "/" + name;
      uint32_t k = child_of(cur, name);
      if (k == 0) {
        struct stat st;
        if (lstat(prefix.c_str(), &st) != 0) return make_error(strf("{}: {}", prefix, strerror(errno)), errno);
        Node node{prefix, name, cur, static_cast<uint32_t>(st.st_mode), static_cast<int64_t>(st.st_mtim.tv_sec), {}};
        if (S_ISREG(st.st_mode)) {
          node.data = TRY(read_file(prefix, m_limits.max_total_bytes));
        } else if (S_ISLNK(st.st_mode)) {
          char buf[4096];
          ssize_t n = readlink(prefix.c_str(), buf, sizeof buf);
          if (n < 0) return make_error(strf("{}: readlink: {}", prefix, strerror(errno)), errno);
          node.data.assign(buf, buf + n);
        } else if (!S_ISDIR(st.st_mode)) {
          return make_error(strf("{}: not a regular file, directory or symlink", prefix));
        }
        m_total += node.data.size() + name.size() + 1 + sizeof(abi::RootfsEntry) + 16;
        if (m_nodes.size() + 1 > m_limits.max_entries)
          return make_error(strf("{}: more than {} files in the root filesystem", prefix, m_limits.max_entries));
        if (m_total > m_limits.max_total_bytes)
          return make_error(strf("{}: the root filesystem exceeds {} bytes", prefix, m_limits.max_total_bytes));
        m_nodes.push_back(std::move(node));
        k = static_cast<uint32_t>(m_nodes.size() - 1);
      }
      bool last = i >= path.size();
      uint32_t mode = m_nodes[k].mode;
      if (S_ISLNK(mode)) {
        std::string target(m_nodes[k].data.begin(), m_nodes[k].data.end());
        std::string dir = prefix.substr(0, prefix.rfind('/'));
        std::string resolved = target[0] == '/' ? target : dir + "/" + target;
        if (!last) resolved += "/" + path.substr(i);
        return add_host_path(resolved, tree, depth + 1);
      }
      if (last) {
        if (tree && !S_ISDIR(mode)) return make_error(strf("{}: not a directory", prefix));
        if (tree && !m_expanded.count(k)) TRY(add_dir_children(prefix, k));
        return {};
      }
      if (!S_ISDIR(mode)) return make_error(strf("{}: not a directory", prefix));
      cur = k;
    }
    // The path named "/" itself.
    if (tree && !m_expanded.count(0)) TRY(add_dir_children("/", 0));
    return {};
  }

  // A symlink at `path` (absolute) to `target`, unless the image has the path.
  Result<void> add_link(const std::string& path, const std::string& target) {
    size_t slash = path.rfind('/');
    if (path.empty() || path[0] != '/' || slash == path.size() - 1 || target.empty())
      return make_error(strf("{}: not an absolute path to a file", path));
    std::string name = path.substr(slash + 1);
    if (name.size() > kNameMax || name == "." || name == "..") return make_error(strf("{}: bad name", path));
    std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    // The directory as the host has it (a symlink such as /bin -> usr/bin
    // packed as one), then its real path in the image.
    struct stat st;
    std::string real = dir;
    if (stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      TRY(add_host_path(dir, false, 0));
      char resolved[PATH_MAX];
      if (realpath(dir.c_str(), resolved) != nullptr) real = resolved;
    }
    uint32_t parent = TRY(ensure_dir(real));
    if (child_of(parent, name) != 0) return {};
    m_nodes.push_back({"", name, parent, S_IFLNK | 0777, 0, std::vector<uint8_t>(target.begin(), target.end())});
    m_total += target.size() + name.size() + 1 + sizeof(abi::RootfsEntry) + 16;
    if (m_nodes.size() > m_limits.max_entries)
      return make_error(strf("{}: more than {} files in the root filesystem", path, m_limits.max_entries));
    return {};
  }

  // Every ELF file on its way into the image passes through the hook for
  // ELF objects (RootfsExtras::elf_hook) and is listed with its counts.
  template <typename Hook>
  Result<void> pass_elf_objects(const Hook& hook) {
    for (uint32_t k = 1; k < m_nodes.size(); ++k) {
      auto& n = m_nodes[k];
      if (!S_ISREG(n.mode) || !is_elf(n.data)) continue;
      std::string path = image_path(k);
      auto packed = hook(path, std::move(n.data));
      if (!packed) return make_error(strf("{}: {}", path, packed.error().message));
      n.data = std::move(packed->bytes);
      m_out.elf_objects.push_back({path, n.data.size(), packed->sites, packed->rewritten});
    }
    std::sort(m_out.elf_objects.begin(), m_out.elf_objects.end(),
              [](const RootfsElf& a, const RootfsElf& b) { return a.path < b.path; });
    return {};
  }

  // The index of the directory `path` names, created (mode 0755, mtime 0)
  // with any missing parents if the tree lacks it.
  Result<uint32_t> ensure_dir(const std::string& path) {
    uint32_t cur = 0;
    size_t i = 1;
    while (i < path.size()) {
      size_t slash = path.find('/', i);
      if (slash == std::string::npos) slash = path.size();
      std::string name = path.substr(i, slash - i);
      i = slash + 1;
      uint32_t found = 0;
      for (uint32_t k = 1; k < m_nodes.size(); ++k)
        if (m_nodes[k].parent == cur && m_nodes[k].name == name) found = k;
      if (found != 0 && !S_ISDIR(m_nodes[found].mode))
        return make_error(strf("--writable {}: {} is not a directory in the root tree", path,
                               path.substr(0, slash)));
      if (found == 0) {
        if (m_nodes.size() + 1 > m_limits.max_entries)
          return make_error(strf("--writable {}: more than {} files in the root filesystem", path,
                                 m_limits.max_entries));
        m_nodes.push_back({"", name, cur, S_IFDIR | 0755, 0, {}});
        found = static_cast<uint32_t>(m_nodes.size() - 1);
      }
      cur = found;
    }
    return cur;
  }

  Result<void> add_writable(const std::vector<std::string>& writable) {
    if (writable.size() > abi::kMaxRootfsWritable)
      return make_error(strf("more than {} --writable paths", abi::kMaxRootfsWritable));
    for (size_t i = 0; i < writable.size(); ++i) {
      TRY(check_writable_path(writable[i]));
      for (size_t k = 0; k < i; ++k) {
        const std::string& a = writable[k];
        const std::string& b = writable[i];
        bool nested = a == b || (b.size() > a.size() && b.compare(0, a.size(), a) == 0 && b[a.size()] == '/') ||
                      (a.size() > b.size() && a.compare(0, b.size(), b) == 0 && a[b.size()] == '/');
        if (nested) return make_error(strf("--writable {} repeats or nests in --writable {}", b, a));
      }
      m_writable.push_back(TRY(ensure_dir(writable[i])));
    }
    return {};
  }


  void serialize() {
    std::string names;
    std::vector<abi::RootfsEntry> entries(m_nodes.size());
    for (size_t i = 0; i < m_nodes.size(); ++i) {
      entries[i].parent = m_nodes[i].parent;
      entries[i].mode = m_nodes[i].mode;
      entries[i].name_offset = static_cast<uint32_t>(names.size());
      entries[i].name_len = static_cast<uint32_t>(m_nodes[i].name.size());
      entries[i].mtime_sec = m_nodes[i].mtime;
      names += m_nodes[i].name;
      names.push_back('\0');
    }
    uint64_t writable_offset = sizeof(abi::RootfsHeader) + entries.size() * sizeof(abi::RootfsEntry);
    uint64_t names_offset = writable_offset + m_writable.size() * sizeof(uint32_t);
    uint64_t data = (names_offset + names.size() + 15) & ~15ull;
    for (size_t i = 0; i < m_nodes.size(); ++i) {
      entries[i].data_offset = m_nodes[i].data.empty() ? 0 : data;
      entries[i].size = m_nodes[i].data.size();
      data = (data + m_nodes[i].data.size() + 15) & ~15ull;
    }
    auto& out = m_out.bytes;
    out.assign(data, 0);
    abi::RootfsHeader h{};
    memcpy(h.magic, abi::kRootfsMagic, sizeof h.magic);
    h.entry_count = static_cast<uint32_t>(entries.size());
    h.writable_count = static_cast<uint32_t>(m_writable.size());
    h.names_offset = names_offset;
    h.names_size = names.size();
    memcpy(out.data(), &h, sizeof h);
    memcpy(out.data() + sizeof h, entries.data(), entries.size() * sizeof(abi::RootfsEntry));
    if (!m_writable.empty())
      memcpy(out.data() + writable_offset, m_writable.data(), m_writable.size() * sizeof(uint32_t));
    memcpy(out.data() + names_offset, names.data(), names.size());
    for (size_t i = 0; i < m_nodes.size(); ++i)
      if (!m_nodes[i].data.empty())
        memcpy(out.data() + entries[i].data_offset, m_nodes[i].data.data(), m_nodes[i].data.size());
    m_out.entries = h.entry_count;
  }

  const RootfsLimits& m_limits;
  Rootfs& m_out;
  std::vector<Node> m_nodes;
  std::vector<uint32_t> m_writable;  // entry indices
  std::set<uint32_t> m_expanded;     // directories whose host contents were packed
  bool m_merging = false;            // adding extras: skip names a directory already has
  uint64_t m_total = 0;
};

}  // namespace

Result<void> check_writable_path(const std::string& path) {
  auto bad = [&](const char* why) { return make_error(strf("--writable {}: {}", path, why)); };
  if (path.empty() || path[0] != '/') return bad("not an absolute path");
  if (path == "/") return bad("the root cannot be writable (only directories below it)");
  if (path.back() == '/') return bad("not normalized (trailing slash)");
  size_t i = 1;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string::npos) slash = path.size();
    std::string_view name(path.data() + i, slash - i);
    if (name.empty() || name == "." || name == "..") return bad("not normalized (empty, . or .. component)");
    if (name.size() > kNameMax) return bad("a component is longer than 255 bytes");
    i = slash + 1;
  }
  for (const char* sys : {"/tmp", "/dev", "/proc"}) {
    size_t n = strlen(sys);
    if (path.compare(0, n, sys) == 0 && (path.size() == n || path[n] == '/'))
      return bad("/tmp, /dev and /proc are the LibOS's own mounts");
  }
  return {};
}

Result<Rootfs> pack_rootfs(const std::string& dir, const RootfsLimits& limits,
                           const std::vector<std::string>& writable, const RootfsExtras& extras) {
  Rootfs out;
  Packer p(limits, out);
  TRY(p.pack(dir, writable, extras));
  out.writable = writable;
  return out;
}

}  // namespace shoal::builder
