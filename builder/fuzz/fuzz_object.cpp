// libFuzzer target: the object rewriter (shared objects, PIEs, ld.so) on
// arbitrary bytes, and once more on its own output, which must then be
// recognised as already rewritten.
#include <stddef.h>
#include <stdint.h>

#include <shoal/builder/object_rewriter.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal::builder;
  auto r = rewrite_elf_object({data, size}, {0x201000});
  if (!r.ok() || r->rewritten == 0) return 0;
  auto again = rewrite_elf_object(r->file, {0x201000});
  if (!again.ok() || !again->already_rewritten) __builtin_trap();
  return 0;
}
