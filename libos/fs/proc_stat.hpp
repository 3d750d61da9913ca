// /proc files whose text is made at each read from the clocks and the
// process: /proc/uptime, /proc/stat (btime: the boot's CLOCK_REALTIME) and
// /proc/self/stat (starttime: when the process started, in clock ticks after
// boot). They agree with each other as on Linux: btime + starttime / 100 is
// the process's start (its boot, or a snapshot's resume: time/clock.hpp
// process_start_ns), and btime + uptime is now.
#pragma once

#include "vfs/vnode.hpp"

namespace libos::fs {

class ProcText final : public Vnode {
 public:
  // Writes the file's text into out (at most cap bytes), returns its length.
  using Fill = size_t (*)(char* out, size_t cap);
  Fill m_fill = nullptr;

  // nullptr when out of memory.
  static ProcText* create(Fill fill, uint64_t ino);
  FsId fs() const override { return FsId::proc; }
  long read_at(void* buf, size_t len, uint64_t off) override;
  long write_at(const void*, size_t, uint64_t) override { return -EACCES; }
};

size_t proc_uptime_text(char* out, size_t cap);
size_t proc_stat_text(char* out, size_t cap);
// The program's name (comm) is taken from exe_path, as Linux takes it from
// the executed file's name (at most 15 bytes).
void proc_self_stat_init(const char* exe_path);
size_t proc_self_stat_text(char* out, size_t cap);
// /proc/self/comm: the name proc_self_stat_init set, and a newline.
size_t proc_comm_text(char* out, size_t cap);

}  // namespace libos::fs
