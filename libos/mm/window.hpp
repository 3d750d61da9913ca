// The reservation window (abi/layout.h): address space beyond guest memory.
//
// Every mapping a program places with mmap lives here (sys_mmap.cpp). A
// reservation only records an address range: it costs no memory. Ranges
// under 2 MiB share chunks (never straddling two); larger ones start a chunk. Committing a range (mapping
// it readable or writable) gives each 2 MiB chunk it touches a 2 MiB-aligned
// frame of the heap area (page_alloc), so --memory bounds what is committed
// and a commit past it fails with ENOMEM. A chunk stays committed while any
// reservation covers part of it; it is returned to the heap when none does.
//
// A never-committed address is absent (a touch faults, as on Linux for
// PROT_NONE). protect() commits a chunk as a 4 KiB table with the rights
// asked for (as one read-write-execute 2 MiB entry with huge, when wholly
// read+write); commit() as 2 MiB entries. A chunk given up keeps its frame for
// the next commits when it can be zeroed cheaply (mm/retired.hpp).
#pragma once

#include <stdint.h>

namespace libos::mm::window {

// A free, 2 MiB-aligned range of at least len bytes (hint first, when it is
// free and in the window), recorded as reserved; 0 if none.
uint64_t reserve(uint64_t hint, uint64_t len);
// As reserve(0, len), leaving free address space after the range (at least
// 1 GiB, or 4x len) so that a mapping that grows (mremap) grows in place.
uint64_t reserve_growable(uint64_t len);
// Records [addr, addr+len) as reserved (it may overlap reservations).
bool reserve_fixed(uint64_t addr, uint64_t len);
bool is_free(uint64_t addr, uint64_t len);
bool is_reserved(uint64_t addr, uint64_t len);
// Commits every chunk [addr, addr+len) touches: 0 or -ENOMEM. With huge,
// the frames are backed by host huge pages (page_alloc.hpp, advise_huge),
// and up to ahead bytes of the frames the next commits will take are
// advised in the same exit (a mapping that grows commits one chunk at a
// time: without it, every chunk cost an exit).
long commit(uint64_t addr, uint64_t len, bool huge, uint64_t ahead = 0);
// Gives the pages of [addr, addr+len) (reserved) the rights prot asks for,
// committing what is not: a chunk whose pages end up with different rights,
// or fewer than read-write-execute, is split into 4 KiB entries, so a write
// to a PROT_READ page or any touch of a PROT_NONE page faults. huge as for
// commit(). 0 or -ENOMEM.
long protect(uint64_t addr, uint64_t len, int prot, bool huge);
// The committed parts of [addr, addr+len) read as zero afterwards.
void zero(uint64_t addr, uint64_t len);
// Forgets the reservation of [addr, addr+len); chunks left without any
// reservation are decommitted, the rest of the range is zeroed.
void unmap(uint64_t addr, uint64_t len);
// Forgets every reservation (execve: the old program's mappings go).
void unmap_all();
// Marks [addr, addr+len) (accessible, writable) as written, for a buffer the
// monitor wrote through its own mapping: a frame given up later is zeroed
// where it was written (window.cpp, scrub).
void note_written(uint64_t addr, uint64_t len);
// Bytes committed (frames taken from the heap area).
uint64_t committed_bytes();

}  // namespace libos::mm::window
