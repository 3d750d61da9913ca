// Image assembly. Guest layout (abi/layout.h): LibOS segments, app segments,
// then the trampolines right after the app's highest page, then the rootfs.
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>

#include "assemble/load_sections.hpp"
#include "assemble/manifest.hpp"

#include <shoal/abi/layout.h>
#include <shoal/abi/syscall.h>
#include <shoal/base/file_io.hpp>
#include <shoal/base/strf.hpp>
#include <shoal/builder/build_image.hpp>
#include <shoal/builder/rewriter.hpp>
#include <shoal/image/format.hpp>
#include <shoal/image/symbols.hpp>

namespace shoal::builder {

namespace {

uint64_t page_up(uint64_t v) { return (v + abi::kPageSize - 1) & ~(abi::kPageSize - 1); }

std::string size_text(uint64_t n) {
  if (n >= (1ull << 20)) return strf("{}.{} MiB", n >> 20, ((n & 0xfffff) * 10) >> 20);
  if (n >= 1024) return strf("{} KiB", (n + 1023) >> 10);
  return strf("{} B", n);
}

std::string flags_text(uint32_t f) {
  std::string s;
  s += (f & abi::kSectionRead) ? 'r' : '-';
  s += (f & abi::kSectionWrite) ? 'w' : '-';
  s += (f & abi::kSectionExec) ? 'x' : '-';
  return s;
}

// Function symbols of `p` that lie in its executable segments. Untyped
// labels (assembly) are taken too when `untyped_too`. A symbol without a size
// gets one reaching to the next symbol or the end of its segment, so that
// addresses past the last function are not attributed to it.
void add_symbols(const ElfProgram& p, bool untyped_too, std::vector<image::SymbolInput>& out) {
  std::vector<image::SymbolInput> mine;
  std::vector<uint64_t> seg_end;
  for (const auto& s : p.symbols) {
    if (!s.function && !untyped_too) continue;
    for (const auto& seg : p.segments) {
      if ((seg.flags & abi::kSectionExec) && s.addr >= seg.vaddr && s.addr < seg.vaddr + seg.memsz) {
        mine.push_back({s.addr, static_cast<uint32_t>(std::min<uint64_t>(s.size, UINT32_MAX)), s.name});
        seg_end.push_back(seg.vaddr + seg.memsz);
        break;
      }
    }
  }
  std::vector<uint64_t> starts;
  for (const auto& s : mine) starts.push_back(s.addr);
  std::sort(starts.begin(), starts.end());
  for (size_t i = 0; i < mine.size(); ++i) {
    if (mine[i].size != 0) continue;
    auto next = std::upper_bound(starts.begin(), starts.end(), mine[i].addr);
    uint64_t end = next == starts.end() ? seg_end[i] : std::min(*next, seg_end[i]);
    mine[i].size = static_cast<uint32_t>(std::min<uint64_t>(end - mine[i].addr, UINT32_MAX));
  }
  out.insert(out.end(), mine.begin(), mine.end());
}

}  // namespace

std::string default_libos_path(const std::string& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  if (const char* env = getenv("SHOAL_LIBOS"); env != nullptr && *env) return env;
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "libos.elf";
  std::string dir(exe, static_cast<size_t>(n));
  dir.resize(dir.rfind('/'));
  return dir + "/../lib/shoal/libos.elf";
}

Result<ElfProgram> load_libos(const std::string& path) {
  auto libos = load_elf(path, ElfRole::libos);
  if (!libos) return make_error("LibOS " + libos.error().message);
  for (const char* sym : {abi::kLibosEntrySymbol, abi::kSyscallEntrySymbol, abi::kSyscallBounceSymbol,
                          abi::kBounceSlotSymbol}) {
    if (libos->find_symbol(sym) == nullptr)
      return make_error(strf("LibOS {}: symbol {} is missing (is it a shoal LibOS, not stripped?)", path, sym));
  }
  return libos;
}

Result<void> check_write_exec(const ElfProgram& p, const char* what, bool allowed) {
  if (allowed) return {};
  constexpr uint32_t kWX = abi::kSectionWrite | abi::kSectionExec;
  for (size_t i = 0; i < p.segments.size(); ++i) {
    const auto& s = p.segments[i];
    if ((s.flags & kWX) == kWX)
      return make_error(strf("{}: a loadable segment at {:#x}+{:#x} is both writable and executable (PF_W|PF_X; "
                             "a section marked \"awx\", or linked with -N): shoal refuses writable code unless "
                             "the program needs it (shoal build --allow-wx)",
                             what, s.vaddr, s.memsz));
  }
  // The monitor maps whole pages: segments sharing one are merged into one
  // section with the flags of all (load_sections).
  for (const auto& sec : TRY(load_sections(p))) {
    if ((sec.flags & kWX) == kWX)
      return make_error(strf("{}: segments sharing the pages {:#x}+{:#x} (code and writable data) would make them "
                             "writable and executable: link with -z separate-code, or pass --allow-wx",
                             what, sec.addr, sec.mem_size));
  }
  return {};
}

Result<BuildSummary> assemble_image(const BuildInputs& in, const std::string& output) {
  BuildSummary sum;
  TRY(check_write_exec(in.app, "program", in.allow_wx));
  TRY(check_write_exec(in.libos, "LibOS", false));
  std::vector<LoadSection> libos_secs = TRY(load_sections(in.libos));
  std::vector<LoadSection> app_secs = TRY(load_sections(in.app));
  uint64_t app_end = 0;
  for (const auto& s : app_secs) app_end = std::max(app_end, s.addr + s.mem_size);
  uint64_t tramp_base = page_up(app_end);

  // Rewrite the program's syscall sites (in the section buffers).
  RewriteResult rw;
  uint64_t entry_addr = in.libos.find_symbol(abi::kSyscallEntrySymbol)->addr;
  {
    std::vector<CodeRegion> regions;
    for (const auto& c : in.app.code) {
      for (auto& s : app_secs) {
        if (c.vaddr >= s.addr && c.vaddr - s.addr <= s.bytes.size() && c.size <= s.bytes.size() - (c.vaddr - s.addr)) {
          regions.push_back({c.vaddr, std::span<uint8_t>(s.bytes.data() + (c.vaddr - s.addr), c.size)});
          break;
        }
      }
    }
    RewriteOptions opt;
    opt.trampoline_base = tramp_base;
    opt.syscall_entry = entry_addr;
    opt.extra_targets.push_back(in.app.entry);
    for (const auto& s : in.app.symbols) opt.extra_targets.push_back(s.addr);
    if (in.rewrite) {
      rw = TRY(rewrite_syscalls(regions, opt));
    } else {
      // Count the sites only: rewrite into a scratch copy and throw it away.
      std::vector<std::vector<uint8_t>> copies;
      std::vector<CodeRegion> scratch;
      for (const auto& r : regions) copies.emplace_back(r.bytes.begin(), r.bytes.end());
      for (size_t i = 0; i < regions.size(); ++i) scratch.push_back({regions[i].addr, copies[i]});
      rw.sites = TRY(rewrite_syscalls(scratch, opt)).sites;
    }
  }
  sum.syscall_sites = rw.sites;
  sum.syscall_rewritten = rw.rewritten;

  image::ImageWriter w;
  auto& h = w.header();
  h.components = abi::kComponentCore | abi::kComponentConsole | abi::kComponentFiles;
  h.devices = in.devices;
  h.libos_entry = in.libos.find_symbol(abi::kLibosEntrySymbol)->addr;
  h.libos_syscall_bounce = in.libos.find_symbol(abi::kSyscallBounceSymbol)->addr;
  h.libos_bounce_slot = in.libos.find_symbol(abi::kBounceSlotSymbol)->addr;
  h.app_entry = in.app.entry;
  h.app_phdr = in.app.phdr_addr;
  h.app_phent = in.app.phent;
  h.app_phnum = in.app.phnum;
  h.syscall_sites = rw.sites;
  h.syscall_rewritten = rw.rewritten;
  h.default_memory = in.memory;
  h.flags = in.allow_wx ? static_cast<uint32_t>(abi::kImageAllowWriteExec) : 0u;
  if (!in.app.interp.empty()) {
    if (in.exec_path.empty() || in.exec_path[0] != '/' || in.exec_path.size() >= abi::kMaxExecPath || !in.rootfs)
      return make_error("a dynamically linked program needs its path in the root filesystem and a root filesystem");
    h.flags |= abi::kImageDynamic;
  }
  strncpy(h.name, in.name.c_str(), sizeof h.name - 1);

  auto add = [&](abi::SectionKind kind, LoadSection& s, const char* label) {
    sum.lines.push_back(strf("  {:<12} {:#x}  {}  file {:>9}  memory {:>9}", label, s.addr, flags_text(s.flags),
                             size_text(page_up(s.bytes.size())), size_text(s.mem_size)));
    w.add_loaded(kind, s.flags, s.addr, std::move(s.bytes), s.mem_size);
  };
  for (auto& s : libos_secs) add(abi::SectionKind::libos, s, "libos");
  for (auto& s : app_secs) add(abi::SectionKind::app, s, "app");
  uint64_t next = tramp_base;
  if (!rw.trampolines.empty()) {
    LoadSection t{tramp_base, abi::kSectionRead | abi::kSectionExec, std::move(rw.trampolines), 0};
    t.mem_size = page_up(t.bytes.size());
    next = tramp_base + t.mem_size;
    add(abi::SectionKind::trampolines, t, "trampolines");
  }
  if (in.rootfs) {
    next = std::max(next, page_up(in.rootfs_floor));
    LoadSection r{next, abi::kSectionRead, in.rootfs->bytes, page_up(in.rootfs->bytes.size())};
    add(abi::SectionKind::rootfs, r, "rootfs");
  }
  std::vector<image::SymbolInput> syms;
  add_symbols(in.libos, true, syms);
  add_symbols(in.app, false, syms);
  // Name each stub after the site it serves ("syscall_stub@write+0x14"), so
  // a crash report whose rip is in a stub says which call it was.
  {
    std::vector<image::SymbolInput> app_funcs;
    add_symbols(in.app, false, app_funcs);
    auto app_bytes = image::build_symbols(app_funcs);
    auto app_table = image::parse_symbols(app_bytes);  // a view of app_bytes
    for (const auto& st : rw.stubs) {
      std::string where = strf("{:#x}", st.site);
      if (app_table.ok())
        if (auto hit = app_table->lookup(st.site)) where = strf("{}+{:#x}", hit->name, hit->offset);
      syms.push_back({st.stub, st.size, "syscall_stub@" + where});
    }
  }
  auto sym_bytes = image::build_symbols(std::move(syms));
  sum.lines.push_back(strf("  {:<12} {} names, {}", "symbols", sym_bytes.empty() ? 0 : image::parse_symbols(sym_bytes)->size(),
                           size_text(sym_bytes.size())));
  w.add_unloaded(abi::SectionKind::symbols, std::move(sym_bytes));
  ManifestInfo mi{in.name, in.source_path, in.memory, rw.sites, rw.rewritten, in.rewrite,
                  in.rootfs ? in.rootfs->entries : 0, in.rootfs ? in.rootfs->writable : std::vector<std::string>{},
                  in.devices, in.allow_wx};
  if (in.rootfs)
    for (const auto& o : in.rootfs->elf_objects) mi.elf_objects.push_back({o.path, o.size, o.sites, o.rewritten});
  if (!in.app.interp.empty()) {
    mi.exec_path = in.exec_path;
    mi.interp = in.app.interp;
  }
  // The program's path in the rootfs (the guest's /proc/self/exe): a dynamic
  // program's, or a static one's packed with others for execve.
  if (!in.exec_path.empty() && in.rootfs) {
    if (in.exec_path[0] != '/' || in.exec_path.size() >= abi::kMaxExecPath)
      return make_error("the program's path in the root filesystem is not absolute or too long");
    std::string p = in.exec_path;
    w.add_unloaded(abi::SectionKind::exec, std::vector<uint8_t>(p.c_str(), p.c_str() + p.size() + 1));
  }
  w.add_unloaded(abi::SectionKind::manifest, render_manifest(mi));

  auto bytes = TRY(w.finish());
  sum.image_size = bytes.size();
  TRY(write_file_atomic(output, bytes));
  sum.lines.insert(sum.lines.begin(), strf("{}: {} ({})", output, in.name, size_text(bytes.size())));
  if (in.rootfs && !in.rootfs->elf_objects.empty()) {
    uint64_t bytes_total = 0, sites = 0, rewritten = 0;
    for (const auto& o : in.rootfs->elf_objects) {
      bytes_total += o.size;
      sites += o.sites;
      rewritten += o.rewritten;
    }
    if (!in.app.interp.empty())
      sum.lines.push_back(strf("  dynamic      {} (interpreter {}), {} ELF objects in the rootfs ({})", in.exec_path,
                               in.app.interp, in.rootfs->elf_objects.size(), size_text(bytes_total)));
    else
      sum.lines.push_back(strf("  packed       {} ELF objects in the rootfs for execve ({})",
                               in.rootfs->elf_objects.size(), size_text(bytes_total)));
    sum.lines.push_back(strf("  object syscall sites: {}, rewritten {}, left to the ring-0 fallback {}", sites,
                             in.rewrite ? rewritten : 0, sites - (in.rewrite ? rewritten : 0)));
  }
  if (in.rewrite)
    sum.lines.push_back(strf("  syscall sites: {}, rewritten {}, left to the ring-0 fallback {}", rw.sites,
                             rw.rewritten, rw.sites - rw.rewritten));
  else
    sum.lines.push_back(strf("  syscall sites: {}, rewriting disabled (--no-rewrite): all use the ring-0 fallback",
                             rw.sites));
  return sum;
}

}  // namespace shoal::builder
