// Image assembly: `shoal build`. Takes a validated program, the LibOS and an
// optional root filesystem and writes one .shoal file (abi/image.h).
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include <shoal/base/result.hpp>
#include <shoal/builder/elf_program.hpp>
#include <shoal/builder/rootfs.hpp>

namespace shoal::builder {

// The LibOS ELF to use: `explicit_path` if given, else $SHOAL_LIBOS, else
// <dir of /proc/self/exe>/../lib/shoal/libos.elf.
std::string default_libos_path(const std::string& explicit_path);

// Loads the LibOS and checks it: segments inside [kLibosBase, kLibosLimit),
// and the symbols abi/syscall.h names (entry, syscall entry, bounce, slot).
Result<ElfProgram> load_libos(const std::string& path);

struct BuildInputs {
  ElfProgram app;
  ElfProgram libos;
  std::optional<Rootfs> rootfs;
  std::string source_path;  // for the manifest
  std::string name;         // header.name (argv[0] in the guest)
  uint64_t memory = 0;      // default guest memory, 0 = the monitor's default
  bool rewrite = true;      // false: leave every syscall to the ring-0 fallback
  uint32_t devices = 0;     // abi::Devices the image declares (`--net`: kDeviceNet)
  // `--allow-wx`: the program needs memory that is writable and executable at
  // once. Without it a PT_LOAD segment with PF_W and PF_X (or segments of both
  // kinds sharing a page) is refused; with it the image says so (header flag
  // abi::kImageAllowWriteExec, manifest `allow_wx = true`) and the monitor
  // accepts such sections.
  bool allow_wx = false;
  // A dynamically linked program (app.interp set): its path in the rootfs,
  // which then holds the program, its interpreter and its libraries. The
  // image is flagged abi::kImageDynamic and gets an exec section.
  std::string exec_path;
  // The end of the highest ET_EXEC program the rootfs packs (--add): execve
  // loads such a program at its link addresses below the rootfs, so the
  // rootfs section starts at or above this (0: right after the program).
  uint64_t rootfs_floor = 0;
};

// Refuses W+X loads of `p` unless allowed (see BuildInputs::allow_wx): a
// segment that is both, or segments that share a page whose merged section
// would be both. `what` names the ELF in messages ("program", "LibOS").
Result<void> check_write_exec(const ElfProgram& p, const char* what, bool allowed);

struct BuildSummary {
  uint64_t image_size = 0;
  uint32_t syscall_sites = 0;
  uint32_t syscall_rewritten = 0;
  std::vector<std::string> lines;  // human-readable report, one line each
};

// Assembles and writes the image to `output`.
Result<BuildSummary> assemble_image(const BuildInputs& in, const std::string& output);

}  // namespace shoal::builder
