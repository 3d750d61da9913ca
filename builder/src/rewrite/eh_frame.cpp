// .eh_frame and LSDA reading for the object rewriter: FDE starts and landing
// pads are reached by the unwinder, never by a branch the decoder sees. The
// formats are the LSB "Exception Frames" and GCC's LSDA; every read is
// bounds-checked, and a record that cannot be read makes the whole walk fail:
// its landing pads could be anywhere, so the caller then patches nothing.
#include <string.h>

#include "rewrite/object_targets.hpp"

namespace shoal::builder::objrw {

namespace {

constexpr uint8_t kOmit = 0xff;

// A bounded cursor over bytes that live at virtual address `base`.
struct Reader {
  std::span<const uint8_t> b;
  uint64_t base;
  size_t pos = 0;
  bool ok = true;

  uint64_t addr() const { return base + pos; }
  bool need(size_t n) {
    if (!ok || n > b.size() - pos) ok = false;
    return ok;
  }
  uint64_t fixed(size_t n) {
    if (!need(n)) return 0;
    uint64_t v = 0;
    memcpy(&v, b.data() + pos, n);
    pos += n;
    return v;
  }
  int64_t sfixed(size_t n) {
    uint64_t v = fixed(n);
    int shift = 64 - static_cast<int>(n) * 8;
    return shift == 0 ? static_cast<int64_t>(v) : static_cast<int64_t>(v << shift) >> shift;
  }
  uint64_t uleb() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!need(1)) return 0;
      uint8_t c = b[pos++];
      v |= uint64_t{c & 0x7fu} << shift;
      if (!(c & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  int64_t sleb() {
    uint64_t v = 0;
    int shift = 0;
    uint8_t c = 0x80;
    while (c & 0x80) {
      if (shift >= 64 || !need(1)) {
        ok = false;
        return 0;
      }
      c = b[pos++];
      v |= uint64_t{c & 0x7fu} << shift;
      shift += 7;
    }
    if (shift < 64 && (c & 0x40)) v |= ~uint64_t{0} << shift;
    return static_cast<int64_t>(v);
  }
  // The value of a DW_EH_PE format (low four bits).
  uint64_t value(uint8_t format) {
    switch (format) {
      case 0x00:  // absptr
      case 0x04:  // udata8
      case 0x0c:  // sdata8
        return fixed(8);
      case 0x01:
        return uleb();
      case 0x02:
        return fixed(2);
      case 0x03:
        return fixed(4);
      case 0x09:
        return static_cast<uint64_t>(sleb());
      case 0x0a:
        return static_cast<uint64_t>(sfixed(2));
      case 0x0b:
        return static_cast<uint64_t>(sfixed(4));
      default:
        ok = false;
        return 0;
    }
  }
  // A DW_EH_PE-encoded pointer. Only absolute and pc-relative ones occur in
  // GCC's x86-64 output; others (and indirect ones, which point at relocated
  // data) make the read fail.
  uint64_t pointer(uint8_t enc) {
    if (enc == kOmit) return 0;
    uint64_t field = addr();
    uint64_t v = value(enc & 0x0f);
    uint8_t rel = enc & 0x70;
    if (rel == 0x10) v += field;
    if ((rel != 0x00 && rel != 0x10) || (enc & 0x80)) ok = false;
    return v;
  }
  std::string_view cstr() {
    size_t start = pos;
    while (ok && pos < b.size() && b[pos] != 0) ++pos;
    if (pos >= b.size()) {
      ok = false;
      return {};
    }
    ++pos;
    return {reinterpret_cast<const char*>(b.data() + start), pos - start - 1};
  }
};

struct Cie {
  bool z = false;
  uint8_t fde_enc = 0;
  uint8_t lsda_enc = kOmit;
  bool ok = false;
};

Cie read_cie(Reader r) {
  Cie c;
  uint8_t version = static_cast<uint8_t>(r.fixed(1));
  std::string_view aug = r.cstr();
  if (version >= 4) r.fixed(2);  // address size, segment selector size
  r.uleb();                      // code alignment
  r.sleb();                      // data alignment
  if (version == 1)
    r.fixed(1);
  else
    r.uleb();  // return address register
  if (!aug.empty() && aug[0] == 'z') {
    c.z = true;
    r.uleb();
    for (char ch : aug.substr(1)) {
      if (ch == 'L')
        c.lsda_enc = static_cast<uint8_t>(r.fixed(1));
      else if (ch == 'R')
        c.fde_enc = static_cast<uint8_t>(r.fixed(1));
      else if (ch == 'P') {
        uint8_t enc = static_cast<uint8_t>(r.fixed(1));
        r.pointer(enc & 0x7f);  // the personality (indirect: its GOT slot); only skipped
      } else if (ch == 'S' || ch == 'B')
        continue;
      else
        return c;  // unknown augmentation: cannot read the FDEs
    }
  } else if (!aug.empty()) {
    return c;
  }
  c.ok = r.ok;
  return c;
}

// GCC's LSDA: header, then the call-site table whose landing pads are
// lpstart-relative.
bool read_lsda(const ObjectFile& o, uint64_t lsda, uint64_t func, std::vector<uint64_t>& out) {
  // The LSDA has no length field: read within the segment that holds it.
  std::span<const uint8_t> rest;
  for (const auto& p : o.loads)
    if (lsda >= p.p_vaddr && lsda - p.p_vaddr < p.p_filesz)
      rest = o.bytes.subspan(p.p_offset + (lsda - p.p_vaddr), p.p_filesz - (lsda - p.p_vaddr));
  if (rest.empty()) return false;
  Reader r{rest, lsda};
  uint8_t lp_enc = static_cast<uint8_t>(r.fixed(1));
  uint64_t lpstart = lp_enc == kOmit ? func : r.pointer(lp_enc);
  uint8_t tt_enc = static_cast<uint8_t>(r.fixed(1));
  if (tt_enc != kOmit) r.uleb();
  uint8_t cs_enc = static_cast<uint8_t>(r.fixed(1));
  uint64_t cs_len = r.uleb();
  if (!r.ok || cs_len > r.b.size() - r.pos) return false;
  size_t end = r.pos + cs_len;
  while (r.ok && r.pos < end) {
    r.pointer(cs_enc & 0x0f);  // start
    r.pointer(cs_enc & 0x0f);  // length
    uint64_t lp = r.pointer(cs_enc & 0x0f);
    r.uleb();  // action
    if (r.ok && lp != 0) out.push_back(lpstart + lp);
  }
  return r.ok;
}

}  // namespace

bool eh_frame_targets(const ObjectFile& o, std::vector<uint64_t>& out) {
  const Section* s = o.section(".eh_frame");
  if (s != nullptr && s->hdr.sh_type == SHT_NOBITS) return false;
  // The unwinder finds .eh_frame through PT_GNU_EH_FRAME, not the section
  // headers: they must name the same bytes, or what is read here is not what
  // the unwinder will use.
  for (const auto& p : o.phdrs) {
    if (p.p_type != PT_GNU_EH_FRAME) continue;
    auto hdr = o.at(p.p_vaddr, p.p_filesz);
    Reader r{hdr, p.p_vaddr};
    r.fixed(1);  // version
    auto enc = static_cast<uint8_t>(r.fixed(1));
    r.fixed(2);  // FDE count and table encodings
    uint64_t eh_frame = r.pointer(enc);
    if (!r.ok || s == nullptr || eh_frame != s->hdr.sh_addr) return false;
  }
  if (s == nullptr) return true;
  // Addresses in it are pc-relative to where it is mapped: the header must
  // agree with the segments, or nothing it says can be trusted.
  if (o.offset_of(s->hdr.sh_addr, s->hdr.sh_size) != s->hdr.sh_offset) return false;
  auto sec = o.bytes.subspan(s->hdr.sh_offset, s->hdr.sh_size);
  uint64_t base = s->hdr.sh_addr;
  bool broken = false;
  size_t pos = 0;
  while (pos + 4 <= sec.size()) {
    Reader r{sec, base, pos};
    uint64_t len = r.fixed(4);
    if (len == 0) break;  // terminator
    if (len == 0xffffffff) len = r.fixed(8);
    if (!r.ok || len > sec.size() - r.pos || len < 4) {
      broken = true;
      break;
    }
    size_t body = r.pos, next = r.pos + len;
    Reader rec{sec.first(next), base, body};
    uint32_t id = static_cast<uint32_t>(rec.fixed(4));
    if (id != 0) {
      // FDE: id is the distance back to its CIE from the id field.
      if (id > body) {
        broken = true;
        break;
      }
      size_t cie_pos = body - id;
      Reader cr{sec, base, cie_pos};
      uint64_t clen = cr.fixed(4);
      if (clen == 0xffffffff) clen = cr.fixed(8);
      if (!cr.ok || clen > sec.size() - cr.pos || clen < 4) {
        broken = true;
        break;
      }
      Reader cb{sec.first(cr.pos + clen), base, cr.pos};
      if (cb.fixed(4) != 0) {
        broken = true;
        break;
      }
      Cie cie = read_cie(cb);
      if (!cie.ok) {
        broken = true;
        break;
      }
      uint64_t start = rec.pointer(cie.fde_enc);
      rec.pointer(cie.fde_enc & 0x0f);  // range
      if (!rec.ok) {
        broken = true;
        break;
      }
      out.push_back(start);
      if (cie.z) {
        uint64_t alen = rec.uleb();  // augmentation data length
        if (cie.lsda_enc != kOmit && alen > 0) {
          uint64_t lsda = rec.pointer(cie.lsda_enc);
          if (!rec.ok || (lsda != 0 && !read_lsda(o, lsda, start, out))) {
            broken = true;
            break;
          }
        }
      }
    }
    pos = next;
  }
  return !broken;
}

}  // namespace shoal::builder::objrw
