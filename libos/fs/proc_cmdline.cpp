// /proc/self/cmdline (fs/proc_cmdline.hpp).
#include "fs/proc_cmdline.hpp"

#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
#include "uapi/stat.hpp"
#include "vfs/alloc.hpp"

namespace libos::fs {

namespace {

char* g_text = nullptr;  // kmalloc'd: "arg0\0arg1\0..."
size_t g_len = 0;

class ProcCmdline final : public Vnode {
 public:
  FsId fs() const override { return FsId::proc; }
  long read_at(void* buf, size_t len, uint64_t off) override {
    if (off >= g_len) return 0;
    if (len > g_len - off) len = g_len - off;
    memcpy(buf, g_text + off, len);
    return static_cast<long>(len);
  }
  long write_at(const void*, size_t, uint64_t) override { return -EACCES; }
};

}  // namespace

void proc_cmdline_set(const char* const* strings, const size_t* lengths, uint32_t count) {
  size_t total = 0;
  for (uint32_t i = 0; i < count; ++i) total += lengths[i] + 1;
  auto* text = static_cast<char*>(kmalloc(total + 1));
  if (text == nullptr) return;
  size_t at = 0;
  for (uint32_t i = 0; i < count; ++i) {
    memcpy(text + at, strings[i], lengths[i]);
    at += lengths[i];
    text[at++] = '\0';
  }
  kfree(g_text);
  g_text = text;
  g_len = total;
}

Vnode* proc_cmdline_create(uint64_t ino) {
  ProcCmdline* v = make<ProcCmdline>();
  if (v == nullptr) return nullptr;
  v->m_ino = ino;
  v->m_mode = uapi::S_IFREG | 0444;
  return v;
}

}  // namespace libos::fs
