// Small fixed nodes shared by /dev and /proc: a directory with a fixed list
// of children, and a symlink with a fixed target.
#pragma once

#include "vfs/vnode.hpp"

namespace libos::fs {

class StaticDir final : public Vnode {
 public:
  static constexpr int kMaxChildren = 16;
  struct Child {
    const char* name;
    size_t len;
    Vnode* node;
  };
  Child m_children[kMaxChildren] = {};
  int m_count = 0;
  Vnode* m_parent = nullptr;
  const char* m_name = "";
  FsId m_fs = FsId::dev;

  // nullptr when out of memory.
  static StaticDir* create(FsId fs, Vnode* parent, const char* name, uint64_t ino);
  void add(const char* name, Vnode* node);

  FsId fs() const override { return m_fs; }
  Vnode* lookup(const char* name, size_t len) override;
  Vnode* parent() override { return m_parent; }
  long name(const char** out, size_t* len) override;
  long readdir(uint64_t cookie, DirEntry* out) override;
  bool empty() override { return m_count == 0; }
};

class StaticLink final : public Vnode {
 public:
  const char* m_target = "";
  size_t m_len = 0;
  FsId m_fs = FsId::dev;

  static StaticLink* create(FsId fs, const char* target, uint64_t ino);
  FsId fs() const override { return m_fs; }
  uint64_t size() override { return m_len; }
  long readlink(const char** target, size_t* len) override {
    *target = m_target;
    *len = m_len;
    return 0;
  }
};

// A read-only file with fixed content (/proc/mounts).
class StaticFile final : public Vnode {
 public:
  const char* m_text = "";
  size_t m_len = 0;
  FsId m_fs = FsId::proc;

  static StaticFile* create(FsId fs, const char* text, uint64_t ino);
  FsId fs() const override { return m_fs; }
  uint64_t size() override { return m_len; }
  long read_at(void* buf, size_t len, uint64_t off) override;
  long write_at(const void*, size_t, uint64_t) override { return -EACCES; }
};

}  // namespace libos::fs
