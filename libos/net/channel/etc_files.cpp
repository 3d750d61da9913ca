#include "net/channel/etc_files.hpp"

#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
#include "core/panic.hpp"
#include "vfs/alloc.hpp"
#include "fs/clock.hpp"
#include "vfs/path.hpp"
#include "fs/static_dir.hpp"
#include "net/channel/channel.hpp"
#include "uapi/stat.hpp"

namespace libos::net {
namespace {

using fs::DirEntry;
using fs::Vnode;

// Inode numbers of the synthetic files: far above any image's entries.
constexpr uint64_t kEtcIno = 0x7e7c0000;

const char kNsswitch[] =
    "# shoal: name lookups use local files only (hosts from the pool's services)\n"
    "passwd: files\ngroup: files\nshadow: files\nhosts: files\nnetworks: files\n"
    "protocols: files\nservices: files\n";

struct EtcFile {
  const char* name;
  const char* text;
};

// "a.b.c.d" of an address in network order.
size_t format_ipv4(char* out, uint32_t ipv4) {
  size_t n = 0;
  for (int i = 0; i < 4; ++i) {
    unsigned octet = (ipv4 >> (8 * i)) & 0xff;
    if (octet >= 100) out[n++] = static_cast<char>('0' + octet / 100);
    if (octet >= 10) out[n++] = static_cast<char>('0' + octet / 10 % 10);
    out[n++] = static_cast<char>('0' + octet % 10);
    if (i < 3) out[n++] = '.';
  }
  return n;
}

const char* build_hosts() {
  static const char kHead[] = "127.0.0.1\tlocalhost\n";
  size_t cap = sizeof(kHead) + static_cast<size_t>(service_count()) * (16 + sizeof(Service::name) + 2);
  char* text = static_cast<char*>(kmalloc(cap));
  if (text == nullptr) panic("out of memory building /etc/hosts");
  size_t n = sizeof(kHead) - 1;
  memcpy(text, kHead, n);
  for (int i = 0; i < service_count(); ++i) {
    const Service& s = service_at(i);
    n += format_ipv4(text + n, s.ipv4);
    text[n++] = '\t';
    size_t len = strlen(s.name);
    memcpy(text + n, s.name, len);
    n += len;
    text[n++] = '\n';
  }
  text[n] = '\0';
  return text;
}

// The image's read-only /etc with the synthetic files it lacks listed after
// its own entries. Only directory operations are needed: the files are
// StaticFile nodes and the image's nodes answer for themselves.
class EtcOverlay final : public Vnode {
 public:
  static constexpr int kMax = 3;
  Vnode* m_under = nullptr;
  const char* m_names[kMax] = {};
  Vnode* m_extra[kMax] = {};
  int m_count = 0;

  // Cookies of the extra entries start here; below are the image's own.
  static constexpr uint64_t kExtraCookie = 1ull << 56;

  fs::FsId fs() const override { return m_under->fs(); }
  Vnode* parent() override { return m_under->parent(); }
  long name(const char** out, size_t* len) override { return m_under->name(out, len); }
  bool empty() override { return false; }

  Vnode* lookup(const char* name, size_t len) override {
    if (Vnode* v = m_under->lookup(name, len)) return v;
    for (int i = 0; i < m_count; ++i) {
      if (strlen(m_names[i]) == len && memcmp(m_names[i], name, len) == 0) return m_extra[i];
    }
    return nullptr;
  }

  long readdir(uint64_t cookie, DirEntry* out) override {
    if (cookie < kExtraCookie) {
      long r = m_under->readdir(cookie, out);
      if (r != 0) {
        // The image's "end" cookie (~0) must still lead to the extras.
        if (out->next >= kExtraCookie) out->next = kExtraCookie;
        return r;
      }
      cookie = kExtraCookie;
    }
    uint64_t i = cookie - kExtraCookie;
    if (i >= static_cast<uint64_t>(m_count)) return 0;
    *out = DirEntry{m_extra[i]->m_ino, uapi::dt_type(m_extra[i]->m_mode), m_names[i], strlen(m_names[i]),
                    cookie + 1};
    return 1;
  }
};

fs::StaticFile* make_file(const char* text, uint64_t ino) {
  fs::StaticFile* f = fs::StaticFile::create(fs::FsId::root, text, ino);
  if (f == nullptr) panic("out of memory for /etc files");
  f->m_mode = uapi::S_IFREG | 0644;
  return f;
}

}  // namespace

void etc_files_init() {
  const EtcFile files[] = {
      {"hosts", build_hosts()},
      {"nsswitch.conf", kNsswitch},
      {"resolv.conf", ""},
  };
  Vnode* root = fs::root_vnode();
  Vnode* etc = root->lookup("etc", 3);
  if (etc == nullptr) {
    fs::StaticDir* dir = fs::StaticDir::create(fs::FsId::root, root, "etc", kEtcIno);
    if (dir == nullptr) panic("out of memory for /etc");
    dir->m_mode = uapi::S_IFDIR | 0755;
    uint64_t ino = kEtcIno + 1;
    for (const EtcFile& f : files) dir->add(f.name, make_file(f.text, ino++));
    fs::mount("etc", dir);
    return;
  }
  if (!etc->is_dir()) return;  // an image's own "etc" file or link stays as it is
  if (!etc->read_only()) {
    // A writable /etc (the manifest said so): plain new files in it.
    for (const EtcFile& f : files) {
      size_t len = strlen(f.name);
      Vnode* node = nullptr;
      if (etc->lookup(f.name, len) != nullptr) continue;
      if (etc->create(f.name, len, uapi::S_IFREG | 0644, &node) < 0) continue;
      size_t size = strlen(f.text);
      if (size > 0) (void)node->write_at(f.text, size, 0);
    }
    return;
  }
  EtcOverlay* ov = fs::make<EtcOverlay>();
  if (ov == nullptr) panic("out of memory for /etc");
  ov->m_under = etc;
  ov->m_ino = etc->m_ino;
  ov->m_mode = etc->m_mode;
  ov->m_nlink = etc->m_nlink;
  ov->m_atime_ns = etc->m_atime_ns;
  ov->m_mtime_ns = etc->m_mtime_ns;
  ov->m_ctime_ns = etc->m_ctime_ns;
  uint64_t ino = kEtcIno + 1;
  for (const EtcFile& f : files) {
    if (etc->lookup(f.name, strlen(f.name)) != nullptr) continue;
    ov->m_names[ov->m_count] = f.name;
    ov->m_extra[ov->m_count++] = make_file(f.text, ino++);
  }
  if (ov->m_count > 0) fs::mount("etc", ov);
}

}  // namespace libos::net
