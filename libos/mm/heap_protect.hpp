// Page protections in the heap area (the program break and MAP_FIXED
// mappings beside it), which the monitor maps in 2 MiB read-write-execute
// entries. A region whose pages get different rights is split: the LibOS
// links a 4 KiB table of its own into the identity map's page directory
// (core/identity_map.hpp), one write to the directory, as the window does
// (mm/window.cpp; docs/architecture.md, "Memory"). A region whose pages are
// all read-write-execute again becomes one 2 MiB entry again. Programs that
// never protect heap pages pay nothing.
#pragma once

#include <stdint.h>

namespace libos::mm::heap_protect {

// Gives the pages of [addr, addr+len) (page-aligned, inside the heap area)
// the rights prot asks for (PROT_READ/WRITE/EXEC; PROT_NONE makes them
// absent). 0, or -ENOMEM when no heap page is left for a table.
long protect(uint64_t addr, uint64_t len, int prot);
// Makes [addr, addr+len) read-write-execute again (pages freed or replaced);
// never fails: it needs a new table only for a region that stays split, and
// then takes one, or leaves that region's pages as they are when none is left.
void reset(uint64_t addr, uint64_t len);
// The rights the page at addr has now, as PROT_* bits (PROT_READ whenever it
// is present: the page tables cannot tell read from execute-only).
int prot_at(uint64_t addr);
// True if some page of [addr, addr+len) has rights other than the heap's.
bool any(uint64_t addr, uint64_t len);

}  // namespace libos::mm::heap_protect
