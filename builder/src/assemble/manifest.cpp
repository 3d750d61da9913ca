#include "assemble/manifest.hpp"

#include <shoal/abi/image.h>
#include <shoal/base/strf.hpp>

namespace shoal::builder {

namespace {
// A TOML basic string: quotes, backslashes and control characters escaped.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}
}  // namespace

std::vector<uint8_t> render_manifest(const ManifestInfo& m) {
  std::string t;
  t += "# shoal image manifest (informational; the header is authoritative)\n";
  t += "name = " + quoted(m.name) + "\n";
  t += "source = " + quoted(m.source) + "\n";
  t += "components = [\"core\", \"console\", \"files\"]\n";
  t += m.memory ? strf("memory = {}\n", m.memory) : std::string("memory = 0  # monitor default\n");
  t += (m.devices & abi::kDeviceNet) ? "devices = [\"net\"]\n" : "devices = []\n";
  t += m.allow_wx ? "allow_wx = true  # the program needs writable+executable memory (--allow-wx)\n"
                  : "allow_wx = false\n";
  t += strf("rootfs_entries = {}\n", m.rootfs_entries);
  t += "writable = [";
  for (size_t i = 0; i < m.writable.size(); ++i) t += (i ? ", " : "") + quoted(m.writable[i]);
  t += "]\n";
  if (!m.exec_path.empty() || !m.elf_objects.empty()) {
    if (!m.exec_path.empty()) {
      t += "\n[dynamic]\n";
      t += "program = " + quoted(m.exec_path) + "\n";
      t += "interpreter = " + quoted(m.interp) + "\n";
    } else {
      // A static program with others packed for execve (--add).
      t += "\n[packed]\n";
    }
    t += "# every ELF object in the rootfs: path, bytes, syscall sites, of which rewritten into calls\n";
    t += "# (the rest take the ring-0 bounce)\n";
    t += "objects = [\n";
    for (const auto& o : m.elf_objects)
      t += strf("  [{}, {}, {}, {}],\n", quoted(o.path), o.size, o.sites, m.rewrite ? o.rewritten : 0);
    t += "]\n";
  }
  t += "\n[syscalls]\n";
  t += strf("sites = {}\nrewritten = {}\nfallback = {}\n", m.syscall_sites, m.syscall_rewritten,
            m.syscall_sites - m.syscall_rewritten);
  t += strf("rewrite = {}\n", m.rewrite ? "true" : "false");
  return std::vector<uint8_t>(t.begin(), t.end());
}

}  // namespace shoal::builder
