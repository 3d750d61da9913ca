// rewrite_elf_object: the layout of object_rewriter.hpp. Analysis lives in
// object_targets.cpp / eh_frame.cpp, patching in rewriter.cpp; this file
// decides where the new segment goes and writes the output file.
#include <string.h>

#include <algorithm>

#include <shoal/base/strf.hpp>
#include <shoal/builder/object_rewriter.hpp>
#include <shoal/builder/rewriter.hpp>

#include "rewrite/object_file.hpp"
#include "rewrite/object_targets.hpp"

namespace shoal::builder {

namespace {

using objrw::ObjectFile;

constexpr uint64_t kPage = 4096;
// slot, magic, then the counts (sites, rewritten) so a rewritten file still
// tells what was done to it.
constexpr uint64_t kMagicOff = 8;
constexpr uint64_t kCountsOff = kMagicOff + kObjectRewriteMagic.size();
constexpr uint64_t kHeaderSize = kCountsOff + 8;
// Zero padding allowed to keep the new segment's vaddr - offset equal to the
// first segment's (a large .bss would otherwise have to be written out).
constexpr uint64_t kMaxPad = 64ull << 20;

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

template <typename T>
void put(std::vector<uint8_t>& out, uint64_t off, const T& v) {
  memcpy(out.data() + off, &v, sizeof v);
}

template <typename T>
void append(std::vector<uint8_t>& out, const T& v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

bool already_rewritten(const ObjectFile& o) {
  const auto& last = o.loads.back();
  if (last.p_filesz < kHeaderSize) return false;
  return memcmp(o.bytes.data() + last.p_offset + kMagicOff, kObjectRewriteMagic.data(),
                kObjectRewriteMagic.size()) == 0;
}

// An already rewritten object: its recorded counts, and its slot pointed at
// this build's entry (a rebuilt LibOS may have moved it; nothing else in the
// object depends on the address).
ObjectRewriteResult retarget(const ObjectFile& o, std::span<const uint8_t> in, uint64_t entry) {
  ObjectRewriteResult r;
  r.file.assign(in.begin(), in.end());
  r.already_rewritten = true;
  const auto& last = o.loads.back();
  memcpy(&r.sites, in.data() + last.p_offset + kCountsOff, 4);
  memcpy(&r.rewritten, in.data() + last.p_offset + kCountsOff + 4, 4);
  put(r.file, last.p_offset, entry);
  r.stubs_vaddr = last.p_vaddr;
  return r;
}

struct Placement {
  uint64_t offset;  // file offset of the new segment
  uint64_t vaddr;
};

// After every segment; at the first segment's vaddr - offset distance when
// the padding that costs is bounded, else merely page-congruent (then only
// PT_PHDR and the segment containing e_phoff locate the table, which is what
// glibc's ld.so and Linux >= 5.18 read for anything but ld.so itself).
Placement place(const ObjectFile& o) {
  const auto& first = o.loads.front();
  uint64_t end = 0;
  for (const auto& p : o.loads) end = std::max(end, p.p_vaddr + p.p_memsz);
  uint64_t file_end = align_up(o.bytes.size(), kPage);
  if (first.p_vaddr >= first.p_offset) {
    uint64_t delta = first.p_vaddr - first.p_offset;
    uint64_t off = align_up(std::max(file_end, end > delta ? end - delta : 0), kPage);
    if (off - file_end <= kMaxPad) return {off, off + delta};
  }
  return {file_end, align_up(end, kPage)};
}

// The counting-only answer: the object comes back unchanged.
ObjectRewriteResult unchanged(std::span<const uint8_t> in, const RewriteResult& rw) {
  ObjectRewriteResult r;
  r.file.assign(in.begin(), in.end());
  r.sites = rw.sites;
  r.rewritten = 0;
  r.fallback = rw.fallback_sites;
  return r;
}

std::vector<uint8_t> section_names(const ObjectFile& o, uint32_t& new_name) {
  std::vector<uint8_t> names;
  if (o.eh.e_shstrndx != SHN_UNDEF) {
    const auto& h = o.sections[o.eh.e_shstrndx].hdr;
    names.assign(o.bytes.begin() + static_cast<long>(h.sh_offset),
                 o.bytes.begin() + static_cast<long>(h.sh_offset + h.sh_size));
  }
  if (names.empty()) names.push_back(0);
  new_name = static_cast<uint32_t>(names.size());
  names.insert(names.end(), kStubSectionName.begin(), kStubSectionName.end());
  names.push_back(0);
  return names;
}

}  // namespace

Result<ObjectRewriteResult> rewrite_elf_object(std::span<const uint8_t> in,
                                               const ObjectRewriteOptions& options) {
  ObjectFile o = TRY(objrw::parse_object(in));
  if (already_rewritten(o)) return retarget(o, in, options.syscall_entry);

  // Code to rewrite: the executable sections. Without section headers there
  // are no symbols or relocation tables to read targets from, so the
  // executable segments are only counted.
  std::vector<objrw::CodeRange> code = objrw::code_ranges(o);
  std::vector<uint64_t> targets;
  // Text relocations would have ld.so write into code, possibly into a
  // patched range: such (rare, legacy) objects are only counted.
  bool textrel = o.dyn(DT_TEXTREL).has_value() || (o.dyn(DT_FLAGS).value_or(0) & DF_TEXTREL);
  bool count_only = code.empty() || textrel || o.eh.e_shnum + 1 >= SHN_LORESERVE;
  if (code.empty()) {
    for (const auto& p : o.loads)
      if ((p.p_flags & PF_X) && p.p_filesz) code.push_back({p.p_vaddr, p.p_offset, p.p_filesz});
  } else {
    targets = objrw::indirect_targets(o, code);
    if (!objrw::eh_frame_targets(o, targets)) count_only = true;
  }

  Placement at = place(o);
  uint64_t phnum = uint64_t{o.eh.e_phnum} + 1;
  uint64_t ph_off = kHeaderSize;
  uint64_t stub_off = align_up(ph_off + phnum * sizeof(Elf64_Phdr), 16);

  std::vector<std::vector<uint8_t>> copies;
  std::vector<CodeRegion> regions;
  copies.reserve(code.size());
  for (const auto& c : code)
    copies.emplace_back(in.begin() + static_cast<long>(c.offset),
                        in.begin() + static_cast<long>(c.offset + c.size));
  for (size_t i = 0; i < code.size(); ++i) regions.push_back({code[i].vaddr, copies[i]});
  RewriteOptions ro;
  ro.trampoline_base = at.vaddr + stub_off;
  ro.syscall_entry = options.syscall_entry;
  ro.syscall_entry_slot = at.vaddr;
  ro.count_only = count_only;
  ro.extra_targets = std::move(targets);
  RewriteResult rw = TRY(rewrite_syscalls(regions, ro));
  if (rw.rewritten == 0) return unchanged(in, rw);

  // The new segment.
  std::vector<uint8_t> seg(stub_off, 0);
  put(seg, 0, options.syscall_entry);
  memcpy(seg.data() + kMagicOff, kObjectRewriteMagic.data(), kObjectRewriteMagic.size());
  put(seg, kCountsOff, rw.sites);
  put(seg, kCountsOff + 4, rw.rewritten);
  seg.insert(seg.end(), rw.trampolines.begin(), rw.trampolines.end());
  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  load.p_flags = PF_R | PF_X;
  load.p_offset = at.offset;
  load.p_vaddr = load.p_paddr = at.vaddr;
  load.p_filesz = load.p_memsz = seg.size();
  load.p_align = kPage;
  std::vector<Elf64_Phdr> phdrs;
  size_t last_load = 0;
  for (size_t i = 0; i < o.phdrs.size(); ++i)
    if (o.phdrs[i].p_type == PT_LOAD) last_load = i;
  for (size_t i = 0; i < o.phdrs.size(); ++i) {
    Elf64_Phdr p = o.phdrs[i];
    if (p.p_type == PT_PHDR) {
      p.p_offset = at.offset + ph_off;
      p.p_vaddr = p.p_paddr = at.vaddr + ph_off;
      p.p_filesz = p.p_memsz = phnum * sizeof(Elf64_Phdr);
    }
    phdrs.push_back(p);
    if (i == last_load) phdrs.push_back(load);
  }
  memcpy(seg.data() + ph_off, phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr));

  // The file: the input with patched code, padding, the segment, then the
  // section name table and section headers (not loaded).
  ObjectRewriteResult r;
  auto& out = r.file;
  out.assign(in.begin(), in.end());
  for (size_t i = 0; i < code.size(); ++i)
    memcpy(out.data() + code[i].offset, copies[i].data(), copies[i].size());
  out.resize(at.offset, 0);
  out.insert(out.end(), seg.begin(), seg.end());

  Elf64_Ehdr eh = o.eh;
  eh.e_phoff = at.offset + ph_off;
  eh.e_phnum = static_cast<uint16_t>(phnum);
  if (!o.sections.empty()) {
    uint32_t name = 0;
    std::vector<uint8_t> names = section_names(o, name);
    uint64_t names_off = out.size();
    out.insert(out.end(), names.begin(), names.end());
    out.resize(align_up(out.size(), 8), 0);
    eh.e_shoff = out.size();
    for (size_t i = 0; i < o.sections.size(); ++i) {
      Elf64_Shdr sh = o.sections[i].hdr;
      if (i == o.eh.e_shstrndx && o.eh.e_shstrndx != SHN_UNDEF) {
        sh.sh_offset = names_off;
        sh.sh_size = names.size();
      }
      append(out, sh);
    }
    Elf64_Shdr stubs{};
    stubs.sh_name = o.eh.e_shstrndx != SHN_UNDEF ? name : 0;
    stubs.sh_type = SHT_PROGBITS;
    stubs.sh_flags = SHF_ALLOC | SHF_EXECINSTR;
    stubs.sh_addr = at.vaddr + stub_off;
    stubs.sh_offset = at.offset + stub_off;
    stubs.sh_size = rw.trampolines.size();
    stubs.sh_addralign = 16;
    append(out, stubs);
    eh.e_shnum = static_cast<uint16_t>(o.sections.size() + 1);
  }
  put(out, 0, eh);

  r.sites = rw.sites;
  r.rewritten = rw.rewritten;
  r.fallback = std::move(rw.fallback_sites);
  r.stubs_vaddr = at.vaddr;
  return r;
}

}  // namespace shoal::builder
