#include "inputs.hpp"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>

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

std::string base_name_of(const std::string& p) {
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
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

// The highest end of the ET_EXEC programs among the packed ELF objects: they
// are loaded at their link addresses by execve, in the image area below the
// root filesystem (libos/exec/elf_load.hpp), so the rootfs goes above them.
// An object linked beyond 1 GiB is not a program anyone execs here: ignored.
uint64_t exec_span_end(const std::vector<uint8_t>& b) {
  auto u16 = [&](size_t o) { return static_cast<uint64_t>(b[o] | (b[o + 1] << 8)); };
  auto u64 = [&](size_t o) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | b[o + static_cast<size_t>(i)];
    return v;
  };
  if (b.size() < 64 || b[4] != 2 || u16(16) != 2 || u16(18) != 62) return 0;  // ELFCLASS64, ET_EXEC, x86-64
  uint64_t phoff = u64(32), phnum = u16(56), end = 0;
  if (u16(54) != 56 || phoff > b.size() || phnum * 56 > b.size() - phoff) return 0;
  for (uint64_t i = 0; i < phnum; ++i) {
    size_t o = static_cast<size_t>(phoff + i * 56);
    if ((b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (static_cast<uint32_t>(b[o + 3]) << 24)) != 1) continue;
    uint64_t vaddr = u64(o + 16), memsz = u64(o + 40);
    if (vaddr > (1ull << 30) || memsz > (1ull << 30) || vaddr + memsz > (1ull << 30)) return 0;
    end = std::max(end, vaddr + memsz);
  }
  return end;
}

// busybox --list-full: the applets of a packed busybox, as paths relative to
// "/". The host binary is run (it is the one being packed); an empty list
// if it cannot be.
Result<std::vector<std::string>> busybox_applets(const std::string& busybox) {
  std::string cmd = "'" + busybox + "' --list-full 2>/dev/null";
  for (char c : busybox)
    if (c == '\'' || c == '\\') return make_error("--busybox-links: " + busybox + ": unusual path");
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return make_error("--busybox-links: cannot run " + busybox);
  std::vector<std::string> out;
  char line[512];
  while (fgets(line, sizeof line, f) != nullptr) {
    std::string l(line);
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
    // A link at the root ("linuxrc": busybox as init) is not a command.
    if (l.empty() || l.find("..") != std::string::npos || l.find('/') == std::string::npos) continue;
    out.push_back(l[0] == '/' ? l : "/" + l);
  }
  if (pclose(f) != 0 || out.empty())
    return make_error("--busybox-links: " + busybox + " --list-full gave no applets (is it busybox?)");
  return out;
}

// A dynamically linked program, or programs packed for execve (--add): each
// program at its own path with the closure of libraries the host's loader
// would load, and the --include trees, all at their own paths (with the tree
// of --root, if any). Every ELF object packed is rewritten.
Result<void> gather_packed(const InputOptions& o, builder::BuildInputs& in) {
  std::string root = o.root.empty() ? "" : real_path(o.root);
  std::string program = real_path(o.program);
  bool dynamic = !in.app.interp.empty();
  std::vector<std::string> files;
  // Inside --root, the program's path is its path below the root; else it
  // is packed at its own (host) path, as are the paths that name it.
  std::string main_path;
  if (!root.empty() && program.size() > root.size() && program.compare(0, root.size(), root) == 0 &&
      program[root.size()] == '/') {
    main_path = program.substr(root.size());
  } else {
    main_path = program;
    files.push_back(program);
    if (!o.program.empty() && o.program[0] == '/' && o.program != program) files.push_back(o.program);
  }
  // The program's path in the image: the exec section, /proc/self/exe.
  in.exec_path = main_path;
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
  // The programs whose closures the image needs: the first one if dynamic,
  // then each --add (host paths, packed at their own paths).
  std::vector<std::pair<std::string, std::string>> programs;  // (path in the image, host file)
  if (dynamic) programs.push_back({main_path, program});
  std::vector<std::string> busyboxes;
  if (o.busybox_links && base_name_of(program) == "busybox") busyboxes.push_back(main_path);
  for (const auto& a : o.add) {
    if (a.empty() || a[0] != '/') return make_error("--add " + a + ": not an absolute path");
    TRY(check_reachable(a, "--add"));
    auto bytes = builder::read_file(a, 1ull << 30);
    if (!bytes) return make_error("--add " + a + ": " + bytes.error().message);
    auto info = builder::read_dynamic_info(bytes.value());
    if (!info) return make_error("--add " + a + ": " + info.error().message);
    if (!info->x86_64) return make_error("--add " + a + ": not an x86-64 program (" + info->machine + ")");
    std::string real = real_path(a);
    files.push_back(a);
    if (real != a) files.push_back(real);
    if (!info->interp.empty()) programs.push_back({real, real});
    if (o.busybox_links && base_name_of(real) == "busybox") busyboxes.push_back(real);
  }
  if (o.busybox_links && busyboxes.empty())
    return make_error("--busybox-links: neither the program nor an --add program is busybox");
  std::vector<std::string> warnings;
  bool first = true;
  for (const auto& [path, file] : programs) {
    auto closure = builder::resolve_closure(path, file, root, first ? optional : std::vector<std::string>{});
    if (!closure) return closure.error();  // its messages name the files
    first = false;
    TRY(check_reachable(closure->interp, "the interpreter"));
    for (const auto& l : closure->libraries) TRY(check_reachable(l, "the library"));
    for (auto& w : closure->warnings) warnings.push_back(std::move(w));
    if (root.empty()) {
      files.push_back(closure->interp);
      files.insert(files.end(), closure->libraries.begin(), closure->libraries.end());
    }
  }
  if (!programs.empty() && root.empty()) {
    // The loader's cache of library paths: with it, the guest's ld.so opens
    // each library by the path the host's would (and nothing else); without
    // it (or for a library it lists that the image lacks), ld.so falls back
    // to the system directories, as on the host.
    struct stat st;
    if (stat("/etc/ld.so.cache", &st) == 0) files.push_back("/etc/ld.so.cache");
  }
  builder::RootfsExtras extras{files, trees, true, {}, {}};
  for (const auto& bb : busyboxes)
    for (const auto& applet : TRY(busybox_applets(bb))) extras.links.push_back({applet, bb});
  // Every ELF object of the image (program files, interpreter, libraries,
  // the ELF files of --include trees) gets its syscall sites rewritten into
  // calls to the LibOS's entry through stubs of its own.
  const auto* entry = in.libos.find_symbol(abi::kSyscallEntrySymbol);
  if (!entry) return make_error(strf("the LibOS has no {} symbol", abi::kSyscallEntrySymbol));
  auto floor = std::make_shared<uint64_t>(0);
  extras.elf_hook = [addr = entry->addr, rewrite = o.rewrite, floor](const std::string& path,
                                                                     std::vector<uint8_t> bytes) {
    auto packed = builder::pack_elf_object(path, std::move(bytes), addr, rewrite);
    if (packed) *floor = std::max(*floor, exec_span_end(packed->bytes));
    return packed;
  };
  auto rootfs = builder::pack_rootfs(o.root, {}, o.writable, extras);
  if (!rootfs) return make_error((o.root.empty() ? "" : "--root ") + rootfs.error().message);
  in.rootfs = std::move(rootfs.value());
  in.rootfs_floor = *floor;
  for (auto& w : warnings) in.rootfs->warnings.push_back(std::move(w));
  return {};
}

}  // namespace

Result<builder::BuildInputs> gather_inputs(const InputOptions& o) {
  builder::BuildInputs in;
  in.app = TRY(builder::load_elf(o.program, builder::ElfRole::app));
  in.libos = TRY(builder::load_libos(builder::default_libos_path(o.libos)));
  // A static program whose --include trees hold ELF files may exec them:
  // they are packed as --add programs are (rewritten, the rootfs above the
  // ET_EXEC ones), with the program itself at its path.
  bool elf_in_trees = false;
  for (const auto& t : o.include) {
    std::vector<std::string> found;
    struct stat st;
    if (stat(t.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) find_elf_files(t, found);
    elf_in_trees = elf_in_trees || !found.empty();
  }
  if (!in.app.interp.empty() || !o.add.empty() || o.busybox_links || elf_in_trees) {
    TRY(gather_packed(o, in));
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
