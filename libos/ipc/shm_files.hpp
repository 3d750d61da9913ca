// The files of /dev/shm (POSIX shared memory: shm_open, sem_open) as the
// family region holds them (ipc/region.hpp ShmFile): names, sizes and
// contents shared by every process of the family; fs/shmfs.cpp puts a
// directory and file nodes over them. Each call takes the region's lock.
// Contents are one run of region pages per file, so mmap(MAP_SHARED) maps
// them in place: a file that must grow past its pages moves to new ones,
// which only a file no process maps may. The mappings are counted (each
// process keeps a table of its own, munmap and exit drop them), so a file
// removed while mapped keeps its pages until the last mapping goes.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::ipc {

struct ShmFileRef {
  int slot = -1;
  uint32_t gen = 0;
};

// Whether /dev/shm lives in the region: the monitor offers one (the region
// is attached on first use, not here).
bool shm_files_available();
// The file named name, or slot -1. -ENOSYS without a region.
long shm_file_lookup(const char* name, size_t len, ShmFileRef* out);
// A new empty file named name (the caller has checked it does not exist):
// 0, -ENOSPC (no slot), -ENAMETOOLONG.
long shm_file_create(const char* name, size_t len, uint32_t mode, ShmFileRef* out);
long shm_file_unlink(const char* name, size_t len);
// A second name for a named file (link()): 0, -EEXIST, -ENOENT, -ENOSPC.
long shm_file_link(ShmFileRef f, const char* name, size_t len);
// Renames from to to, replacing what to named.
long shm_file_rename(const char* from, size_t from_len, const char* to, size_t to_len);
// The entry at index (0, 1, ...) of the directory, skipping free slots: 1
// and its slot and name, or 0 at the end.
long shm_file_readdir(uint64_t index, int* slot, char* name, size_t* len, uint64_t* next);
bool shm_file_any();

// Per-file operations on a live reference (-ENOENT once the file is gone).
struct ShmFileStat {
  uint64_t size;
  uint32_t mode;
  uint32_t linked;
  uint32_t uid, gid;
  int64_t atime_ns, mtime_ns, ctime_ns;
};
long shm_file_stat(ShmFileRef f, ShmFileStat* out);
long shm_file_read(ShmFileRef f, void* buf, size_t len, uint64_t off);
long shm_file_write(ShmFileRef f, const void* buf, size_t len, uint64_t off);
long shm_file_truncate(ShmFileRef f, uint64_t len);
long shm_file_chmod(ShmFileRef f, uint32_t mode);
// The address of [off, off+len) of the file's pages for a shared mapping
// (its pages grown to cover it, zero past the end): >0, or -ENOMEM, -ENXIO.
long shm_file_map(ShmFileRef f, uint64_t len, uint64_t off);
// munmap of [addr, addr+len) in the region: the mappings it covers entirely
// are gone (mm/file_map.hpp's SharedUnmap hook, registered by fs).
void shm_file_unmapped(uint64_t addr, uint64_t len);
// The process's exit and a forked child's start (ipc::init's hooks).
void shm_files_exit();
void shm_files_fork_child();
// This process opens / closes its last reference: the last close of an
// unlinked file frees it.
void shm_file_open(ShmFileRef f);
void shm_file_close(ShmFileRef f);
// Region capacity and use in pages, for statfs.
void shm_file_usage(uint64_t* pages, uint64_t* used);

}  // namespace libos::ipc
