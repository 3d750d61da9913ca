// shoal image format (.shoal files).
//
// Written by `shoal build` (host), read by `shoal-vmm` (host), and — for the
// root filesystem section only — by the LibOS (guest). An image is:
//
//   offset 0      ImageHeader, then header.section_count SectionEntry
//   page-aligned  section payloads
//
// Loadable sections (kind < kSectionFirstUnloaded) are placed so that
// file_offset and guest_addr are both page-aligned and file_size is a page
// multiple: the monitor maps them straight into guest memory with
// mmap(MAP_PRIVATE | MAP_FIXED) of the image file, so N instances of an image
// share its pages in the host page cache. Pages in [file_size, mem_size) are
// anonymous zero memory (bss).
//
// The monitor treats every field as hostile: offsets and sizes are checked
// against the file size, guest ranges against guest memory and each other.
#pragma once

#include <stdint.h>

namespace shoal::abi {

inline constexpr char kImageMagic[8] = {'S', 'H', 'O', 'A', 'L', 'I', 'M', 'G'};
inline constexpr uint32_t kImageVersion = 2;  // 2: RootfsHeader.writable_count
inline constexpr uint32_t kMaxSections = 64;

enum class SectionKind : uint32_t {
  libos = 1,        // a LibOS segment (loaded)
  app = 2,          // an application segment (loaded)
  trampolines = 3,  // rewritten system-call stubs (loaded, R+X)
  rootfs = 4,       // read-only root filesystem (loaded, R)
  kFirstUnloaded = 16,
  symbols = 16,     // SymbolTable for crash reports (not loaded)
  manifest = 17,    // human-readable TOML manifest (not loaded)
  exec = 18,        // the program's path in the rootfs, NUL-terminated (not loaded): dynamic
                    // images, and static ones packing programs for execve (shoal build --add)
};

enum SectionFlags : uint32_t {
  kSectionRead = 1u << 0,
  kSectionWrite = 1u << 1,
  kSectionExec = 1u << 2,
};

// Components of the LibOS an image asks for (decision 7 of DESIGN.md).
enum Components : uint32_t {
  kComponentCore = 1u << 0,     // memory, threads, time, start-up
  kComponentConsole = 1u << 1,  // fds 0-2
  kComponentFiles = 1u << 2,    // root filesystem + in-memory /tmp
};

// Devices an image declares (manifest `devices = [...]`). The monitor gives
// an instance only the devices its image declares: `shoal-vmm --net` refuses
// an image without kDeviceNet.
enum Devices : uint32_t {
  kDeviceNet = 1u << 0,  // network device (netdev.h), `shoal build --net`
};
inline constexpr uint32_t kKnownDevices = kDeviceNet;

// Image flags (ImageHeader.flags), set by the builder from what the manifest
// records. An image whose header has a flag this build does not know is
// refused.
enum ImageFlags : uint32_t {
  // The program needs a section that is both writable and executable
  // (`shoal build --allow-wx`, manifest `allow_wx = true`). Without it, the
  // monitor refuses any loaded section with kSectionWrite and kSectionExec:
  // code the guest can rewrite is an injected-code target.
  kImageAllowWriteExec = 1u << 0,
  // The program is dynamically linked (PT_INTERP): its interpreter and
  // libraries are files of the rootfs section, which the image must have,
  // and an `exec` section names the program's own path there (the guest's
  // /proc/self/exe). The program's segments are app sections as for a
  // static program; the LibOS maps the interpreter at start-up.
  kImageDynamic = 1u << 1,
};
inline constexpr uint32_t kKnownImageFlags = kImageAllowWriteExec | kImageDynamic;
inline constexpr uint64_t kMaxExecPath = 4096;  // exec section size limit, with the NUL

struct SectionEntry {
  uint32_t kind;         // SectionKind
  uint32_t flags;        // SectionFlags (loaded kinds)
  uint64_t file_offset;  // page-aligned for loaded kinds
  uint64_t file_size;    // bytes in the file (page multiple for loaded kinds)
  uint64_t guest_addr;   // page-aligned; 0 for unloaded kinds
  uint64_t mem_size;     // page multiple, >= file_size; 0 for unloaded kinds
};
static_assert(sizeof(SectionEntry) == 40);

struct ImageHeader {
  char magic[8];                  // kImageMagic
  uint32_t version;               // kImageVersion
  uint32_t section_count;         // <= kMaxSections
  uint32_t components;            // Components
  uint32_t devices;               // Devices the manifest declares
  uint64_t libos_entry;           // where the vCPU starts (ring 3)
  uint64_t libos_syscall_bounce;  // ring-3 target of the ring-0 LSTAR bounce
  uint64_t libos_bounce_slot;     // 8-byte slot where ring 0 saves the return rip
  uint64_t app_entry;             // program entry, load bias applied
  uint64_t app_phdr;              // guest address of the program headers
  uint16_t app_phent;
  uint16_t app_phnum;
  uint32_t syscall_sites;         // syscall instructions found in the program
  uint32_t syscall_rewritten;     // of which rewritten into calls
  uint32_t flags;                 // ImageFlags (was padding: 0 in older images)
  uint64_t image_end;             // page-aligned end of the highest loaded section
  uint64_t default_memory;        // bytes; 0 = monitor default
  char name[64];                  // program name, NUL-terminated
  // followed by SectionEntry[section_count]
};
static_assert(sizeof(ImageHeader) == 160);

// ---- Symbols section ----------------------------------------------------------
// Function symbols of the LibOS and the program, sorted by addr, for the
// monitor's symbolized crash reports.
struct SymbolTableHeader {
  uint32_t count;
  uint32_t strtab_size;
  // followed by SymbolEntry[count], then strtab_size bytes of names
};
struct SymbolEntry {
  uint64_t addr;
  uint32_t size;
  uint32_t name_offset;  // into the string table, NUL-terminated
};
static_assert(sizeof(SymbolEntry) == 16);

// ---- Root filesystem section --------------------------------------------------
// Read by the LibOS in place (zero-copy). Entry 0 is the root directory "/".
// Every other entry names its parent directory's index, which is smaller than
// its own; names are single path components.
//
// Writable directories (image version 2): writable_count uint32 entry indices
// follow the RootfsEntry array. Each names a directory entry (never entry 0)
// that the LibOS mounts as a writable in-memory file system, seeded with a
// copy of that directory's contents from the image (files, directories and
// symlinks, with their modes and mtimes), so files shipped there are readable
// and modifiable. Everything else in the root stays read-only (EROFS).
inline constexpr uint32_t kMaxRootfsWritable = 16;  // writable_count limit
inline constexpr char kRootfsMagic[8] = {'S', 'H', 'O', 'A', 'L', 'F', 'S', '1'};

struct RootfsHeader {
  char magic[8];          // kRootfsMagic
  uint32_t entry_count;
  uint32_t writable_count;  // uint32 entry indices after the entries (see above)
  uint64_t names_offset;  // from the start of the section
  uint64_t names_size;
  // RootfsEntry[entry_count] follow the header, then uint32[writable_count]
};
static_assert(sizeof(RootfsHeader) == 32);

struct RootfsEntry {
  uint32_t parent;        // index of the parent directory (0 for "/" itself)
  uint32_t mode;          // st_mode: S_IFREG/S_IFDIR/S_IFLNK | permissions
  uint32_t name_offset;   // into the names table, NUL-terminated
  uint32_t name_len;
  uint64_t data_offset;   // from the start of the section (file contents or symlink target)
  uint64_t size;          // bytes
  int64_t mtime_sec;
};
static_assert(sizeof(RootfsEntry) == 40);

}  // namespace shoal::abi
