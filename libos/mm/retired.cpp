#include "mm/retired.hpp"

#include "core/window.hpp"
#include "mm/page_alloc.hpp"

namespace libos::mm::retired {

namespace {
constinit uint64_t g_frames[kMaxFrames] = {};
constinit int g_frame_count = 0;
constinit uint64_t g_tables[kMaxTables] = {};
constinit int g_table_count = 0;
}  // namespace

bool put_frame(uint64_t frame) {
  if (g_frame_count == kMaxFrames) return false;
  // No more than a sixteenth of the heap area: the break and the LibOS's own
  // allocations take from it too and do not flush (a small --memory keeps
  // fewer frames: 2 with 64 MiB).
  uint64_t kept = static_cast<uint64_t>(g_frame_count + 1) * libos::window::kChunk;
  if (kept > (heap_hi() - heap_lo()) / 16) return false;
  g_frames[g_frame_count++] = frame;
  return true;
}

uint64_t take_frame() { return g_frame_count == 0 ? 0 : g_frames[--g_frame_count]; }

bool put_table(uint64_t page) {
  if (g_table_count == kMaxTables) return false;
  g_tables[g_table_count++] = page;
  return true;
}

uint64_t take_table() { return g_table_count == 0 ? 0 : g_tables[--g_table_count]; }

void flush() {
  while (g_frame_count > 0) release(g_frames[--g_frame_count], libos::window::kChunk);
  while (g_table_count > 0) release(g_tables[--g_table_count], kPage);
}

uint64_t bytes() {
  return static_cast<uint64_t>(g_frame_count) * libos::window::kChunk + static_cast<uint64_t>(g_table_count) * kPage;
}

}  // namespace libos::mm::retired
