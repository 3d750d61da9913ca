// mmap of files (MAP_PRIVATE copies, read-only MAP_SHARED), mprotect and
// partial munmap of file mappings, and anonymous mappings that reuse the
// memory of unmapped ones.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compat.h"

// A writable file of three pages, page i filled with 'a' + i.
static int three_pages(const char* path) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  char page[4096];
  for (int i = 0; i < 3; ++i) {
    memset(page, 'a' + i, sizeof page);
    if (write(fd, page, sizeof page) != sizeof page) return -1;
  }
  return fd;
}

CASE(mmap_file_private_write)
// covers: mmap munmap pread64
{
  int fd = open(R("/etc/numbers.txt"), O_RDONLY);
  char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  char* q = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  printf("mapped %d %d first %.10s\n", p != MAP_FAILED, q != MAP_FAILED, p);
  memcpy(p, "XXXX", 4);
  char buf[11] = {0};
  SHOW(pread(fd, buf, 10, 0));
  printf("file %s mapping %.10s other mapping %.10s\n", buf, p, q);
  printf("past the end zero %d\n", p[292] == 0 && p[4095] == 0);
  SHOW(munmap(p, 4096));
  SHOW(munmap(q, 4096));
  close(fd);
}

CASE(mmap_file_shared_readonly)
// covers: mmap munmap
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  char* p = mmap(NULL, 27, PROT_READ, MAP_SHARED, fd, 0);
  printf("mapped %d text %.26s\n", p != MAP_FAILED, p);
  void* w = mmap(NULL, 27, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("writable shared of a read-only fd: %d %s\n", w == MAP_FAILED, errname(errno));
  SHOW(munmap(p, 27));
  close(fd);
}

CASE(mmap_file_mprotect)
// covers: mmap mprotect munmap
{
  int fd = three_pages(T("/three"));
  char* p = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  printf("mapped %d %c %c %c\n", p != MAP_FAILED, p[0], p[4096], p[8191 + 4096]);
  SHOW(mprotect(p + 4096, 4096, PROT_READ | PROT_WRITE));
  p[4096] = 'Z';
  SHOW(mprotect(p + 4096, 4096, PROT_READ));
  char c = 0;
  SHOW(pread(fd, &c, 1, 4096));
  printf("mapping %c file %c\n", p[4096], c);
  SHOW(munmap(p, 3 * 4096));
  close(fd);
}

CASE(mmap_file_munmap_part)
// covers: mmap munmap
{
  int fd = three_pages(T("/three"));
  char* p = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  SHOW(munmap(p + 4096, 4096));
  printf("left %c right %c\n", p[0], p[8192]);
  // The middle page is free again: a mapping there must not replace anything.
  char* m = mmap(p + 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 4096);
  printf("remapped %d %c\n", m == p + 4096, m == p + 4096 ? m[0] : '?');
  void* x = mmap(p, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
  printf("over a mapped page: %d %s\n", x == MAP_FAILED, errname(errno));
  SHOW(munmap(p, 3 * 4096));
  close(fd);
}

CASE(mmap_reuse_reads_zero)
// covers: mmap munmap mprotect
{
  // Mappings of every size written and unmapped: the next ones, which may
  // get the same memory, read as zero wherever they are.
  int dirty = 0;
  for (int r = 0; r < 120; ++r) {
    size_t len = (size_t)(r % 7 + 1) * 4096 * (r % 3 ? 1 : 37);
    unsigned char* p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) break;
    for (size_t i = 0; i < len; i += 512) dirty += p[i] != 0;
    memset(p + len / 4, 0xa5, len / 2);
    if (r % 4 == 1) mprotect(p, len, PROT_READ);
    munmap(p, len);
  }
  printf("non-zero bytes seen %d\n", dirty);
}

CASE(madvise_dontneed_sizes)
// covers: madvise mmap mprotect munmap
{
  // Written ranges of every size, some read-only by then, zeroed by
  // MADV_DONTNEED; the pages around them keep their bytes.
  size_t lens[] = {4096, 3 * 4096, 64 * 1024, 256 * 1024, 1 << 20, 3 << 20};
  for (int i = 0; i < 6; ++i) {
    size_t len = lens[i], total = len + 2 * 4096;
    unsigned char* p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 0x5a, total);
    if (i % 2) mprotect(p + 4096, len, PROT_READ);
    int r = madvise(p + 4096, len, MADV_DONTNEED);
    size_t nonzero = 0;
    for (size_t j = 0; j < len; ++j) nonzero += p[4096 + j] != 0;
    printf("len %zu: madvise %d nonzero %zu before %d after %d\n", len, r, nonzero, p[4095], p[4096 + len]);
    munmap(p, total);
  }
}
