// Gathering what an image is built from (program, LibOS, root files), shared
// by `shoal build` and `shoal run PROGRAM`.
#pragma once

#include <string>
#include <vector>

#include <shoal/base/result.hpp>
#include <shoal/builder/build_image.hpp>

namespace shoal::cli {

struct InputOptions {
  std::string program;
  std::string root;
  std::vector<std::string> writable;  // --writable directories
  std::string name;
  std::string libos;
  uint64_t memory = 0;
  bool rewrite = true;
  uint32_t devices = 0;  // abi::Devices to declare
  bool allow_wx = false;  // --allow-wx
  std::vector<std::string> include;  // --include directories
  std::vector<std::string> add;      // --add programs
  bool busybox_links = false;        // --busybox-links
};

Result<builder::BuildInputs> gather_inputs(const InputOptions& o);

// Appends the ELF files below the host directory `dir` (not following
// symlinks), in sorted order: the objects an --include tree adds to a dynamic
// program's closure.
void find_elf_files(const std::string& dir, std::vector<std::string>& out);

// The names in directory `dir` but "." and "..", sorted (builds and cache
// keys do not depend on readdir's order); false if it cannot be opened.
bool sorted_dir_entries(const std::string& dir, std::vector<std::string>& names);

// Prints the builder's warnings (skipped root files) to stderr.
void print_warnings(const builder::BuildInputs& in);

}  // namespace shoal::cli
