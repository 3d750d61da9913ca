// How mmap fills a file mapping: memory sits below the files, so the file
// component registers its reader at start-up (fs/init.cpp) and mmap calls it
// through one pointer. Until then (no fd exists yet) every fd is -EBADF.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::mm {

// Copies len bytes from offset of fd's file into dst (zero past the end);
// 0 or -errno as mmap would (fs/syscalls.hpp fs_mmap_file). shared_write:
// a MAP_SHARED mapping with PROT_WRITE, which needs an fd open for writing.
using FileReader = long (*)(int fd, void* dst, size_t len, uint64_t offset, bool shared_write);

void set_file_reader(FileReader reader);

// For mmap(MAP_SHARED) of a file: the address of memory that is the file's
// [offset, offset+len) itself (a /dev/shm file in the family region), or
// -ENODEV when the file has none (the mapping is then a copy, as before), or
// another -errno as mmap would.
using FileSharer = long (*)(int fd, size_t len, uint64_t offset, bool shared_write);

void set_file_sharer(FileSharer sharer);

// munmap of a range in the family region (where FileSharer's mappings are):
// the file layer drops the mappings it covers.
using SharedUnmap = void (*)(uint64_t addr, uint64_t len);

void set_shared_unmap(SharedUnmap hook);

}  // namespace libos::mm
