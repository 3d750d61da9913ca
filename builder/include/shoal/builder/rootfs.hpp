// Packs a host directory into the image's read-only root filesystem section
// (abi::RootfsHeader layout), deterministically: entries sorted by name,
// parents before children, entry 0 = "/". Directories that --writable paths
// need but the tree lacks are appended after the tree's entries.
#pragma once

#include <stdint.h>

#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <shoal/base/result.hpp>

namespace shoal::builder {

struct RootfsLimits {
  uint64_t max_entries = 100000;
  uint64_t max_total_bytes = 2ull << 30;  // whole section
};

// An ELF file the root filesystem holds (dynamic images list them).
struct RootfsElf {
  std::string path;  // in the image
  uint64_t size = 0;
  uint32_t sites = 0;      // syscall instructions found in it
  uint32_t rewritten = 0;  // of which call the LibOS through the object's own stubs
};

// What an ELF object becomes in the image (RootfsExtras::elf_hook).
struct PackedElf {
  std::vector<uint8_t> bytes;
  uint32_t sites = 0;
  uint32_t rewritten = 0;
};

struct Rootfs {
  std::vector<uint8_t> bytes;         // the section payload
  uint32_t entries = 0;
  std::vector<std::string> writable;  // the writable directories, as given
  std::vector<std::string> warnings;  // skipped files (devices, sockets, ...)
  std::vector<RootfsElf> elf_objects; // with RootfsExtras::elf_objects: every ELF file packed
};

// Host paths packed at their own paths in addition to the root tree: the
// files of a dynamic program's closure and --include directories. Each path
// is absolute; its components are packed as the host has them (a symlink as
// a symlink, its target packed too), reusing what the tree already holds.
struct RootfsExtras {
  std::vector<std::string> files;  // a file (or symlink chain to one)
  std::vector<std::string> trees;  // a directory, packed with everything below it
  // Pass every ELF file packed through elf_hook and list it in
  // Rootfs::elf_objects.
  bool elf_objects = false;
  // What each ELF object's bytes become in the image: `path` is its path
  // there. Empty: packed as they are (sites not counted). The caller that
  // knows the LibOS (its syscall entry) sets pack_elf_object (dynamic.hpp),
  // which rewrites the object's syscall sites.
  std::function<Result<PackedElf>(const std::string& path, std::vector<uint8_t> bytes)> elf_hook;
  // Symlinks made for the image (path, target), e.g. busybox's applets: the
  // directories on the way are packed as the host has them (a missing one is
  // created), and a path the image already holds is left as it is.
  std::vector<std::pair<std::string, std::string>> links;
};

// Checks a --writable path: absolute, normalized (no "//", ".", "..", no
// trailing slash), not "/" and not /tmp, /dev, /proc or below them.
Result<void> check_writable_path(const std::string& path);

// `dir` empty: no host tree, "/" is an empty directory (writable paths are
// still created). Each writable path is checked, must not repeat or nest in
// another, and must not cross a non-directory of the tree.
Result<Rootfs> pack_rootfs(const std::string& dir, const RootfsLimits& limits = {},
                           const std::vector<std::string>& writable = {}, const RootfsExtras& extras = {});

// A host-side reading of a packed section, validated as the LibOS does
// (header, entry table, parents, names, writable indices).
struct RootfsInfo {
  uint32_t entries = 0;
  std::vector<std::string> writable;  // absolute paths of the writable directories
};
Result<RootfsInfo> read_rootfs(std::span<const uint8_t> bytes);

}  // namespace shoal::builder
