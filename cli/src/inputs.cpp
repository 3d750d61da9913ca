#include "inputs.hpp"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <shoal/abi/image.h>

namespace shoal::cli {

Result<builder::BuildInputs> gather_inputs(const InputOptions& o) {
  builder::BuildInputs in;
  in.app = TRY(builder::load_elf(o.program, builder::ElfRole::app));
  in.libos = TRY(builder::load_libos(builder::default_libos_path(o.libos)));
  if (!o.root.empty() || !o.writable.empty()) {
    auto rootfs = builder::pack_rootfs(o.root, {}, o.writable);
    if (!rootfs) return make_error((o.root.empty() ? "" : "--root ") + rootfs.error().message);
    in.rootfs = std::move(rootfs.value());
  }
  char resolved[PATH_MAX];
  in.source_path = realpath(o.program.c_str(), resolved) ? resolved : o.program;
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
