#include "inputs.hpp"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>

#include <shoal/abi/image.h>
#include <shoal/abi/syscall.h>
#include <shoal/base/strf.hpp>
#include <shoal/builder/dynamic.hpp>

namespace shoal::cli {

namespace {

std::string real_path(const std::string& p) {
  char resolved[PATH_MAX];
  return realpath(p.c_str(), resolved) ? resolved : p;
}

}  // namespace

bool sorted_dir_entries(const std::string& dir, std::vector<std::string>& names) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  while (struct dirent* de = readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return true;
}

void find_elf_files(const std::string& dir, std::vector<std::string>& out) {
  std::vector<std::string> names;
  if (!sorted_dir_entries(dir, names)) return;
  for (const auto& n : names) {
    std::string p = dir + "/" + n;
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      find_elf_files(p, out);
    } else if (S_ISREG(st.st_mode) && st.st_size >= 64) {
      FILE* f = fopen(p.c_str(), "rb");
      if (f == nullptr) continue;
      uint8_t magic[4] = {};
      bool elf = fread(magic, 1, 4, f) == 4 && builder::is_elf(magic);
      fclose(f);
      if (elf) out.push_back(p);
    }
  }
}

namespace {

// A path the guest cannot open from the image: the LibOS mounts its own
// /tmp, /dev and /proc over the root filesystem's.
Result<void> check_reachable(const std::string& path, const std::string& what) {
  for (const char* m : {"/tmp", "/dev", "/proc"}) {
    size_t n = strlen(m);
    if (path.compare(0, n, m) == 0 && (path.size() == n || path[n] == '/'))
      return make_error(strf("{} {} is below {}, which the LibOS mounts itself (in memory): the guest could not "
                             "open it from the image; move it elsewhere",
                             what, path, m));
  }
  return {};
}

// A dynamically linked program: its path in the image, the closure of
// libraries the host's loader would load, and the --include trees, all
// packed at their own paths (with the tree of --root, if any).
Result<void> gather_dynamic(const InputOptions& o, builder::BuildInputs& in) {
  std::string root = o.root.empty() ? "" : real_path(o.root);
  std::string program = real_path(o.program);
  std::vector<std::string> files;
  // Inside --root, the program's path is its path below the root; else it
  // is packed at its own (host) path, as are the paths that name it.
  if (!root.empty() && program.size() > root.size() && program.compare(0, root.size(), root) == 0 &&
      program[root.size()] == '/') {
    in.exec_path = program.substr(root.size());
  } else {
    in.exec_path = program;
    files.push_back(program);
    if (!o.program.empty() && o.program[0] == '/' && o.program != program) files.push_back(o.program);
  }
  std::vector<std::string> trees, optional;
  for (const auto& t : o.include) {
    if (t.empty() || t[0] != '/') return make_error("--include " + t + ": not an absolute path");
    struct stat st;
    if (stat(t.c_str(), &st) != 0) return make_error("--include " + t + ": " + strerror(errno));
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
      return make_error("--include " + t + ": not a directory or a regular file");
    TRY(check_reachable(t, "--include"));
    if (S_ISREG(st.st_mode)) {
      files.push_back(t);  // e.g. /etc/passwd for a program that looks users up
      continue;
    }
    trees.push_back(t);
    find_elf_files(t, optional);
  }
  auto closure = builder::resolve_closure(in.exec_path, program, root, optional);
  if (!closure) return closure.error();  // its messages name the files
  TRY(check_reachable(closure->interp, "the interpreter"));
  for (const auto& l : closure->libraries) TRY(check_reachable(l, "the library"));
  if (root.empty()) {
    files.push_back(closure->interp);
    files.insert(files.end(), closure->libraries.begin(), closure->libraries.end());
    // The loader's cache of library paths: with it, the guest's ld.so opens
    // each library by the path the host's would (and nothing else); without
    // it (or for a library it lists that the image lacks), ld.so falls back
    // to the system directories, as on the host.
    struct stat st;
    if (stat("/etc/ld.so.cache", &st) == 0) files.push_back("/etc/ld.so.cache");
  }
  builder::RootfsExtras extras{files, trees, true, {}};
  // Every ELF object of a dynamic image (program file, interpreter,
  // libraries, the ELF files of --include trees) gets its syscall sites
  // rewritten into calls to the LibOS's entry through stubs of its own.
  const auto* entry = in.libos.find_symbol(abi::kSyscallEntrySymbol);
  if (!entry) return make_error(strf("the LibOS has no {} symbol", abi::kSyscallEntrySymbol));
  extras.elf_hook = [addr = entry->addr, rewrite = o.rewrite](const std::string& path, std::vector<uint8_t> bytes) {
    return builder::pack_elf_object(path, std::move(bytes), addr, rewrite);
  };
  auto rootfs = builder::pack_rootfs(o.root, {}, o.writable, extras);
  if (!rootfs) return make_error((o.root.empty() ? "" : "--root ") + rootfs.error().message);
  in.rootfs = std::move(rootfs.value());
  for (auto& w : closure->warnings) in.rootfs->warnings.push_back(std::move(w));
  return {};
}

}  // namespace

Result<builder::BuildInputs> gather_inputs(const InputOptions& o) {
  builder::BuildInputs in;
  in.app = TRY(builder::load_elf(o.program, builder::ElfRole::app));
  in.libos = TRY(builder::load_libos(builder::default_libos_path(o.libos)));
  if (!in.app.interp.empty()) {
    TRY(gather_dynamic(o, in));
  } else if (!o.root.empty() || !o.writable.empty() || !o.include.empty()) {
    builder::RootfsExtras extras;
    for (const auto& t : o.include) {
      struct stat st;
      if (t.empty() || t[0] != '/') return make_error("--include " + t + ": not an absolute path");
      if (stat(t.c_str(), &st) != 0) return make_error("--include " + t + ": " + strerror(errno));
      TRY(check_reachable(t, "--include"));
      (S_ISDIR(st.st_mode) ? extras.trees : extras.files).push_back(t);
    }
    auto rootfs = builder::pack_rootfs(o.root, {}, o.writable, extras);
    if (!rootfs) return make_error((o.root.empty() ? "" : "--root ") + rootfs.error().message);
    in.rootfs = std::move(rootfs.value());
  }
  in.source_path = real_path(o.program);
  in.name = o.name;
  if (in.name.empty()) {
    size_t slash = o.program.rfind('/');
    in.name = slash == std::string::npos ? o.program : o.program.substr(slash + 1);
  }
  if (in.name.size() >= sizeof(abi::ImageHeader::name))
    return make_error("name '" + in.name + "' is longer than 63 bytes (use --name)");
  in.memory = o.memory;
  in.rewrite = o.rewrite;
  in.devices = o.devices;
  in.allow_wx = o.allow_wx;
  return in;
}

void print_warnings(const builder::BuildInputs& in) {
  if (!in.rootfs) return;
  for (const auto& w : in.rootfs->warnings) fprintf(stderr, "shoal: warning: %s\n", w.c_str());
}

}  // namespace shoal::cli
