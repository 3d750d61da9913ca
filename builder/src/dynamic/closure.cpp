// The library closure of a dynamically linked program, resolved as glibc's
// ld.so resolves it on the host (elf/dl-load.c, _dl_map_object): a needed
// name with a '/' is a path; otherwise the object's DT_RPATH and its
// loader's (only when the object has no DT_RUNPATH), its DT_RUNPATH, the
// directories of /etc/ld.so.conf (what ld.so.cache indexes), then the
// system directories. A candidate of another class or machine is skipped
// as ld.so skips it; one that is not ELF at all stops the build, as it stops
// ld.so. Everything is read inside `root` when one is given, with symlinks
// resolved inside it.
#include <elf.h>
#include <errno.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <optional>
#include <set>

#include <shoal/base/strf.hpp>
#include <shoal/builder/dynamic.hpp>
#include <shoal/builder/elf_program.hpp>
#include <shoal/builder/object_rewriter.hpp>

namespace shoal::builder {

namespace {

constexpr uint64_t kMaxObjectSize = 1ull << 30;

// glibc's system search path on Debian x86-64 (ld.so --help).
const char* const kSystemDirs[] = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"};

std::string dirname_of(const std::string& p) {
  size_t s = p.rfind('/');
  if (s == std::string::npos) return ".";
  return s == 0 ? "/" : p.substr(0, s);
}

// The host path of `path` (absolute, inside root): symlinks met on the way
// are resolved inside root, so an absolute link target cannot leave it.
// Without a root it is the path itself (the host resolves links).
Result<std::string> host_path(const std::string& root, const std::string& path) {
  if (root.empty()) return path;
  std::string done;  // resolved prefix, relative to root, starts with '/' or empty
  std::string rest = path;
  int links = 0;
  while (!rest.empty()) {
    size_t i = rest.find_first_not_of('/');
    if (i == std::string::npos) break;
    size_t j = rest.find('/', i);
    std::string name = rest.substr(i, j == std::string::npos ? std::string::npos : j - i);
    rest = j == std::string::npos ? "" : rest.substr(j);
    if (name == ".") continue;
    if (name == "..") {
      size_t s = done.rfind('/');
      done = s == std::string::npos ? "" : done.substr(0, s);
      continue;
    }
    std::string cand = done + "/" + name;
    struct stat st;
    if (lstat((root + cand).c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      if (++links > 40) return make_error(strf("{}: too many levels of symbolic links in {}", path, root));
      char buf[4096];
      ssize_t n = readlink((root + cand).c_str(), buf, sizeof buf);
      if (n < 0) return make_error(strf("{}{}: readlink: {}", root, cand, strerror(errno)));
      std::string target(buf, static_cast<size_t>(n));
      if (!target.empty() && target[0] == '/') done.clear();
      rest = target + rest;
      continue;
    }
    done = cand;
  }
  return root + (done.empty() ? "/" : done);
}

// "$ORIGIN"/"${ORIGIN}" become the loading object's directory, "$PLATFORM"
// x86_64, "$LIB" lib/x86_64-linux-gnu (Debian's multiarch value).
std::string expand_tokens(std::string dir, const std::string& origin) {
  struct Token {
    const char* a;
    const char* b;
    std::string value;
  };
  Token tokens[] = {{"$ORIGIN", "${ORIGIN}", origin},
                    {"$PLATFORM", "${PLATFORM}", "x86_64"},
                    {"$LIB", "${LIB}", "lib/x86_64-linux-gnu"}};
  for (const auto& t : tokens) {
    for (const char* tok : {t.b, t.a}) {
      size_t at;
      while ((at = dir.find(tok)) != std::string::npos) dir.replace(at, strlen(tok), t.value);
    }
  }
  return dir;
}

void read_conf(const std::string& root, const std::string& file, int depth, std::vector<std::string>& out) {
  if (depth > 8) return;
  auto hp = host_path(root, file);
  if (!hp) return;
  auto bytes = read_file(hp.value(), 1 << 20);
  if (!bytes) return;
  std::string text(bytes->begin(), bytes->end());
  size_t i = 0;
  while (i < text.size()) {
    size_t e = text.find('\n', i);
    if (e == std::string::npos) e = text.size();
    std::string line = text.substr(i, e - i);
    i = e + 1;
    if (size_t h = line.find('#'); h != std::string::npos) line.resize(h);
    size_t a = line.find_first_not_of(" \t\r");
    if (a == std::string::npos) continue;
    size_t z = line.find_last_not_of(" \t\r");
    line = line.substr(a, z - a + 1);
    if (line.compare(0, 8, "include ") == 0 || line.compare(0, 8, "include\t") == 0) {
      std::string pattern = line.substr(8);
      pattern = pattern.substr(pattern.find_first_not_of(" \t"));
      if (pattern[0] != '/') pattern = dirname_of(file) + "/" + pattern;
      glob_t g{};
      if (glob((root + pattern).c_str(), 0, nullptr, &g) == 0) {
        for (size_t k = 0; k < g.gl_pathc; ++k) read_conf(root, std::string(g.gl_pathv[k]).substr(root.size()), depth + 1, out);
      }
      globfree(&g);
    } else if (line.compare(0, 7, "hwcap ") == 0) {
      continue;  // obsolete, ignored by ldconfig too
    } else if (line[0] == '/') {
      out.push_back(line);
    }
  }
}

struct Object {
  std::string path;  // as the loader opens it
  DynamicInfo info;
};

class Resolver {
 public:
  Resolver(const std::string& root) : m_root(root), m_conf(ld_so_conf_dirs(root)) {
    while (m_root.size() > 1 && m_root.back() == '/') m_root.pop_back();
    if (m_root == "/") m_root.clear();
  }

  // Reads and checks an object at `path`; skipped (nullopt, with the reason
  // in *why) when of another class or machine.
  // `file`: read from this host path instead (the program, optional objects).
  Result<std::optional<Object>> open_object(const std::string& path, std::string* why, const std::string& file = "") {
    std::string hp = file;
    if (hp.empty()) hp = TRY(host_path(m_root, path));
    auto bytes = read_file(hp, kMaxObjectSize);
    if (!bytes) return std::optional<Object>{};
    auto info = read_dynamic_info(bytes.value());
    if (!info) return make_error(strf("{}: {}", path, info.error().message));
    if (!info->x86_64) {
      if (why) *why += strf("; skipped {} ({}, not x86-64)", path, info->machine);
      return std::optional<Object>{};
    }
    return std::optional<Object>{Object{path, std::move(info.value())}};
  }

  // Finds `name`, needed by `by` (the program is m_objects[0]).
  Result<std::optional<Object>> find(const std::string& name, const Object& by, std::string* why) {
    if (name.find('/') != std::string::npos) return open_object(name, why);
    std::vector<std::string> dirs;
    std::string origin = dirname_of(by.path);
    if (by.info.runpath.empty()) {
      for (const auto& d : by.info.rpath) dirs.push_back(expand_tokens(d, origin));
      if (&by != &m_objects[0] && m_objects[0].info.runpath.empty())
        for (const auto& d : m_objects[0].info.rpath) dirs.push_back(expand_tokens(d, dirname_of(m_objects[0].path)));
    }
    for (const auto& d : by.info.runpath) dirs.push_back(expand_tokens(d, origin));
    dirs.insert(dirs.end(), m_conf.begin(), m_conf.end());
    for (const char* d : kSystemDirs) dirs.push_back(d);
    std::set<std::string> tried;
    for (auto& d : dirs) {
      while (d.size() > 1 && d.back() == '/') d.pop_back();
      if (d.empty() || d[0] != '/' || !tried.insert(d).second) continue;
      auto obj = TRY(open_object(d + "/" + name, why));
      if (obj && obj->info.type != ET_DYN && obj->info.type != ET_EXEC)
        return make_error(strf("{}/{}: not a shared object (ELF type {}): only ET_DYN and ET_EXEC can be loaded", d,
                               name, obj->info.type));
      if (obj) return obj;
    }
    return std::optional<Object>{};
  }

  Result<DynamicClosure> run(const std::string& program, const std::string& program_file,
                             const std::vector<std::string>& optional) {
    DynamicClosure out;
    std::string why;
    auto prog = TRY(open_object(program, &why, program_file));
    if (!prog) return make_error(strf("{}: not found or not an x86-64 ELF file{}", program, why));
    if (prog->info.interp.empty()) return make_error(strf("{}: no PT_INTERP: not a dynamically linked program", program));
    out.interp = prog->info.interp;
    m_objects.push_back(std::move(*prog));
    std::string iwhy;
    auto interp = TRY(open_object(out.interp, &iwhy));
    if (!interp) return make_error(strf("{}: interpreter {} not found{}", program, out.interp, iwhy));
    m_by_path.insert(out.interp);
    if (!interp->info.soname.empty()) m_by_name[interp->info.soname] = out.interp;
    // Breadth-first, as ld.so loads: the program's needs in order, then theirs.
    size_t required = 1;
    // Optional objects that are not loadable shared objects (object files,
    // damaged files) are packed as data: ld.so would refuse them too.
    for (const auto& o : optional) {
      auto obj = open_object(o, nullptr, o);
      if (!obj) {
        out.warnings.push_back(obj.error().message + " (packed, not loadable)");
        continue;
      }
      if (obj.value() && obj.value()->info.type == ET_DYN && m_by_path.insert(o).second)
        m_objects.push_back(std::move(*obj.value()));
    }
    for (size_t i = 0; i < m_objects.size(); ++i) {
      bool is_required = i < required || m_required.count(m_objects[i].path);
      std::vector<std::string> needed = m_objects[i].info.needed;
      for (const auto& name : needed) {
        if (auto it = m_by_name.find(name); it != m_by_name.end()) {
          if (is_required) m_required.insert(it->second);
          continue;
        }
        std::string why_not;
        auto lib = find(name, m_objects[i], &why_not);
        if (!lib) return make_error(strf("{} (needed by {}): {}", name, m_objects[i].path, lib.error().message));
        if (!lib.value()) {
          std::string msg = strf("{}: library {} not found (searched its RPATH/RUNPATH, /etc/ld.so.conf and the "
                                 "system directories{}){}",
                                 m_objects[i].path, name, m_root.empty() ? "" : " inside " + m_root, why_not);
          if (is_required) return make_error(msg);
          out.warnings.push_back(msg);
          m_by_name[name] = "";  // warn once
          continue;
        }
        std::string path = lib.value()->path;
        m_by_name[name] = path;
        if (!lib.value()->info.soname.empty()) m_by_name.emplace(lib.value()->info.soname, path);
        if (is_required) m_required.insert(path);
        if (m_by_path.insert(path).second) {
          out.libraries.push_back(path);
          m_objects.push_back(std::move(*lib.value()));
        }
      }
    }
    return out;
  }

 private:
  std::string m_root;
  std::vector<std::string> m_conf;
  std::deque<Object> m_objects;  // deque: find() keeps a reference to an element while others are added
  std::set<std::string> m_by_path;
  std::map<std::string, std::string> m_by_name;
  std::set<std::string> m_required;  // libraries the program's load needs (else: optional objects only)
};

}  // namespace

std::vector<std::string> ld_so_conf_dirs(const std::string& root) {
  std::string r = root;
  while (!r.empty() && r.back() == '/') r.pop_back();
  std::vector<std::string> out;
  read_conf(r, "/etc/ld.so.conf", 0, out);
  return out;
}

Result<DynamicClosure> resolve_closure(const std::string& program, const std::string& program_file,
                                       const std::string& root, const std::vector<std::string>& optional) {
  Resolver r(root);
  return r.run(program, program_file, optional);
}

Result<PackedElf> pack_elf_object(const std::string& path, std::vector<uint8_t> bytes, uint64_t syscall_entry,
                                  bool rewrite) {
  (void)path;  // the caller names the file in an error
  // Only what a loader maps is rewritten: an x86-64 ELF64 shared object, PIE
  // or program. Anything else an --include tree holds (relocatable .o files,
  // another architecture's objects) is packed as it is, as data.
  Elf64_Ehdr eh;
  if (bytes.size() < sizeof eh) return PackedElf{std::move(bytes), 0, 0};
  memcpy(&eh, bytes.data(), sizeof eh);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 || (eh.e_type != ET_DYN && eh.e_type != ET_EXEC))
    return PackedElf{std::move(bytes), 0, 0};
  auto r = rewrite_elf_object(bytes, ObjectRewriteOptions{syscall_entry});
  if (!r) return r.error();
  if (!rewrite) return PackedElf{std::move(bytes), r->sites, 0};
  return PackedElf{std::move(r->file), r->sites, r->rewritten};
}

}  // namespace shoal::builder
