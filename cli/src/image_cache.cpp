#include "image_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>

#include <xxhash.h>

#include <shoal/abi/image.h>
#include <shoal/base/private_dir.hpp>
#include <shoal/builder/dynamic.hpp>

#include "inputs.hpp"

namespace shoal::cli {

namespace {

// Bump when the builder's output changes for the same inputs, so stale cache
// entries are not reused.
// 2: image version 2 (writable directories); 3: devices; 4: XXH3 keys, digest records;
// 5: dynamic programs (closure and --include identities in the key); 6: --add programs and
// --busybox-links, the rootfs placed above packed ET_EXEC programs.
constexpr uint32_t kCacheFormat = 6;
constexpr const char* kRecordTag = "shoal-cache 1";

std::string hex(XXH128_hash_t h) {
  char buf[40];
  snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
           static_cast<unsigned long long>(h.low64));
  return buf;
}

// A 128-bit XXH3 over a sequence of fields, each framed by its length so
// that ("ab","c") and ("a","bc") differ. Counts the bytes it hashed (the
// verbose output reports them: a hit by identity hashes no input).
class CacheKey {
 public:
  CacheKey() : m_state(XXH3_createState(), XXH3_freeState) { XXH3_128bits_reset(m_state.get()); }
  void add(const void* data, size_t len) {
    uint64_t n = len;
    XXH3_128bits_update(m_state.get(), &n, sizeof n);
    XXH3_128bits_update(m_state.get(), data, len);
    m_bytes += len;
  }
  void add(const std::vector<uint8_t>& v) { add(v.data(), v.size()); }
  void add(const std::string& s) { add(s.data(), s.size()); }
  void add_u64(uint64_t v) { add(&v, sizeof v); }
  std::string hex() const { return cli::hex(XXH3_128bits_digest(m_state.get())); }
  uint64_t bytes() const { return m_bytes; }

 private:
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> m_state;
  uint64_t m_bytes = 0;
};

// The identity of a file as the kernel sees it: a new inode, a write, a
// truncation, a rename over it or a chmod changes one of these (ctime cannot
// be set back by the file's owner).
Result<void> add_identity(CacheKey& key, const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return errno_error(path);
  key.add(path);
  for (uint64_t v : {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                     static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_mtim.tv_sec),
                     static_cast<uint64_t>(st.st_mtim.tv_nsec), static_cast<uint64_t>(st.st_ctim.tv_sec),
                     static_cast<uint64_t>(st.st_ctim.tv_nsec)})
    key.add_u64(v);
  return {};
}

struct Record {
  std::string image;   // file name in the cache directory
  std::string digest;  // XXH3-128 of the image, hex
};

std::optional<Record> read_record(const PrivateDir& dir, const std::string& name) {
  auto fd = open_private_file(dir, name, O_RDONLY);
  if (!fd) return std::nullopt;
  char buf[512];
  ssize_t n = read(fd.value(), buf, sizeof buf - 1);
  close(fd.value());
  if (n <= 0) return std::nullopt;
  buf[n] = 0;
  char image[256], digest[64];
  if (sscanf(buf, "shoal-cache 1 %255s %63s", image, digest) != 2) return std::nullopt;
  std::string im = image;
  // Only a plain name inside the cache directory.
  if (im.find('/') != std::string::npos || im[0] == '.') return std::nullopt;
  return Record{im, digest};
}

Result<void> write_record(const PrivateDir& dir, const std::string& name, const Record& r) {
  std::string text = std::string(kRecordTag) + " " + r.image + " " + r.digest + "\n";
  return write_private_file(dir, name, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

// XXH3-128 of the image `name` (mapped, not copied); makes it 0600 too.
Result<std::string> image_digest(const PrivateDir& dir, const std::string& name, uint64_t* size) {
  int fd = TRY(open_private_file(dir, name, O_RDONLY));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    Error e = errno_error(dir.file(name));
    close(fd);
    return e;
  }
  fchmod(fd, 0600);
  *size = static_cast<uint64_t>(st.st_size);
  XXH128_hash_t h = XXH3_128bits(nullptr, 0);
  if (st.st_size > 0) {
    // MAP_POPULATE: every page is read anyway; one call maps them all.
    void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) {
      Error e = errno_error(dir.file(name) + ": mmap");
      close(fd);
      return e;
    }
    h = XXH3_128bits(p, static_cast<size_t>(st.st_size));
    munmap(p, static_cast<size_t>(st.st_size));
  }
  close(fd);
  return hex(h);
}

// True when the record's image is there and its digest matches.
bool verified(const PrivateDir& dir, const Record& r, bool verbose) {
  uint64_t size = 0;
  auto d = image_digest(dir, r.image, &size);
  if (d && d.value() == r.digest) return true;
  if (verbose)
    fprintf(stderr, "shoal: image cache: %s: %s; rebuilding it\n", dir.file(r.image).c_str(),
            d ? "digest does not match the one recorded at build time" : d.error().message.c_str());
  return false;
}

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Whether the program has PT_INTERP (a file that cannot be read is not).
bool is_dynamic(const std::string& path) {
  auto bytes = builder::read_file(path, 1ull << 30);
  if (!bytes) return false;
  auto info = builder::read_dynamic_info(bytes.value());
  return info && !info->interp.empty();
}

// The identity of every entry below a host directory (lstat: a symlink's own).
Result<void> add_tree_identity(CacheKey& key, const std::string& dir) {
  std::vector<std::string> names;
  if (!sorted_dir_entries(dir, names)) return errno_error(dir);
  for (const auto& n : names) {
    std::string p = dir + "/" + n;
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) return errno_error(p);
    key.add(p);
    for (uint64_t v : {static_cast<uint64_t>(st.st_mode), static_cast<uint64_t>(st.st_ino),
                       static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_mtim.tv_sec),
                       static_cast<uint64_t>(st.st_mtim.tv_nsec), static_cast<uint64_t>(st.st_ctim.tv_sec),
                       static_cast<uint64_t>(st.st_ctim.tv_nsec)})
      key.add_u64(v);
    if (S_ISDIR(st.st_mode)) TRY(add_tree_identity(key, p));
  }
  return {};
}

// A dynamic program's image is made of its interpreter, its libraries, the
// loader cache and the --include paths as well: their identities join the
// key (the closure is resolved again, reading the ELF headers, not hashing
// the files), so that an upgraded library misses the identity record.
Result<void> add_dynamic_identity(CacheKey& key, const RunCommand& c, bool dynamic) {
  std::vector<std::string> optional;
  for (const auto& inc : c.include) {
    struct stat st;
    if (stat(inc.c_str(), &st) != 0) return errno_error(inc);
    if (S_ISDIR(st.st_mode)) {
      TRY(add_tree_identity(key, inc));
      find_elf_files(inc, optional);
    } else {
      TRY(add_identity(key, inc));
    }
  }
  // The programs packed for execve (--add), each with its closure; the
  // busybox applets are read from the binary, whose identity is in the key.
  std::vector<std::string> programs;
  if (dynamic) programs.push_back(c.target);
  for (const auto& a : c.add) {
    key.add("add " + a);
    TRY(add_identity(key, a));
    if (is_dynamic(a)) programs.push_back(a);
  }
  if (c.busybox_links) key.add(std::string("busybox-links"));
  bool first = true;
  for (const auto& p : programs) {
    char resolved[PATH_MAX];
    if (realpath(p.c_str(), resolved) == nullptr) return errno_error(p);
    auto closure = TRY(builder::resolve_closure(resolved, resolved, "", first ? optional : std::vector<std::string>{}));
    first = false;
    TRY(add_identity(key, closure.interp));
    for (const auto& lib : closure.libraries) TRY(add_identity(key, lib));
  }
  struct stat st;
  if (!programs.empty() && stat("/etc/ld.so.cache", &st) == 0) TRY(add_identity(key, "/etc/ld.so.cache"));
  return {};
}

}  // namespace

std::string image_cache_dir() {
  const char* xdg = getenv("XDG_CACHE_HOME");
  if (xdg && *xdg == '/') return std::string(xdg) + "/shoal";
  const char* home = getenv("HOME");
  if (home && *home == '/') return std::string(home) + "/.cache/shoal";
  return user_tmp_dir() + "/shoal-cache-" + std::to_string(getuid());
}

Result<std::string> cached_image(const RunCommand& c) {
  uint32_t devices = c.net.empty() ? 0u : static_cast<uint32_t>(abi::kDeviceNet);
  std::string libos = builder::default_libos_path(c.libos);
  auto dir = TRY(open_private_dir(image_cache_dir(), CreateDir::parents));

  // Fast path: the inputs' identities, not their bytes. Not with --root: a
  // directory tree's identity would take a walk of it.
  std::string identity_ref;
  if (c.root.empty()) {
    CacheKey id;
    id.add_u64(kCacheFormat);
    id.add(std::string("identity"));
    TRY(add_identity(id, c.target));
    TRY(add_identity(id, libos));
    TRY(add_identity(id, "/proc/self/exe"));  // the builder is part of this binary
    bool dynamic = is_dynamic(c.target);
    if (dynamic || !c.include.empty() || !c.add.empty() || c.busybox_links)
      TRY(add_dynamic_identity(id, c, dynamic));
    id.add(base_name(c.target));
    for (const auto& w : c.writable) id.add("writable " + w);
    id.add(std::string(c.no_rewrite ? "no-rewrite" : "rewrite"));
    id.add_u64(devices);
    if (c.allow_wx) id.add(std::string("allow-wx"));
    identity_ref = "id-" + id.hex() + ".ref";
    if (auto r = read_record(dir, identity_ref); r && verified(dir, *r, c.verbose)) {
      if (c.verbose)
        fprintf(stderr, "shoal: image cache: hit by identity (0 bytes of input hashed), digest verified: %s\n",
                dir.file(r->image).c_str());
      return dir.file(r->image);
    }
  }

  InputOptions o{c.target, c.root, c.writable, "", c.libos, 0, !c.no_rewrite, devices, c.allow_wx, c.include, c.add, c.busybox_links};
  auto in = TRY(gather_inputs(o));
  CacheKey key;
  key.add_u64(kCacheFormat);
  key.add(in.app.bytes);
  key.add(in.libos.bytes);
  key.add(in.rootfs ? in.rootfs->bytes : std::vector<uint8_t>{});
  for (const auto& w : c.writable) key.add("writable " + w);
  key.add(in.name);
  key.add(std::string(c.no_rewrite ? "no-rewrite" : "rewrite"));
  key.add_u64(devices);
  if (c.allow_wx) key.add(std::string("allow-wx"));
  std::string stem = in.name + "-" + key.hex();
  Record record{stem + ".shoal", ""};
  if (auto r = read_record(dir, stem + ".ref"); r && r->image == record.image && verified(dir, *r, c.verbose)) {
    record = *r;
    if (c.verbose)
      fprintf(stderr, "shoal: image cache: hit by content (%llu bytes of input hashed), digest verified: %s\n",
              static_cast<unsigned long long>(key.bytes()), dir.file(record.image).c_str());
  } else {
    print_warnings(in);
    auto sum = TRY(builder::assemble_image(in, dir.file(record.image)));
    if (c.verbose)
      for (const auto& line : sum.lines) fprintf(stderr, "%s\n", line.c_str());
    uint64_t size = 0;
    record.digest = TRY(image_digest(dir, record.image, &size));
    TRY(write_record(dir, stem + ".ref", record));
    if (c.verbose)
      fprintf(stderr, "shoal: image cache: built (%llu bytes of input hashed), digest recorded: %s\n",
              static_cast<unsigned long long>(key.bytes()), dir.file(record.image).c_str());
  }
  if (!identity_ref.empty()) TRY(write_record(dir, identity_ref, record));
  return dir.file(record.image);
}

}  // namespace shoal::cli
