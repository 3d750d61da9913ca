// shoal build PROGRAM [-o IMAGE] [--root DIR] [--writable PATH]... [--name NAME]
//                     [--memory SIZE] [--no-rewrite] [--libos PATH] [--net] [--allow-wx]
//                     [--include DIR]... [--add PROGRAM]... [--busybox-links]
#include <stdio.h>

#include <shoal/abi/image.h>
#include <shoal/abi/layout.h>

#include "commands.hpp"
#include "inputs.hpp"
#include "size.hpp"

namespace shoal::cli {

int fail(const std::string& message) {
  fprintf(stderr, "shoal: %s\n", message.c_str());
  return kExitUsage;
}

namespace {
Result<uint64_t> parse_memory(const std::string& text) {
  if (text.empty()) return uint64_t{0};
  uint64_t v = TRY(parse_size(text));
  if (v < abi::kMinMemory || v > abi::kMaxMemory || v % abi::kPageSize)
    return make_error("--memory " + text + ": must be a multiple of 4K between 16M and 64G");
  return v;
}
}  // namespace

int run_build(const BuildCommand& c) {
  auto memory = parse_memory(c.memory);
  if (!memory) return fail(memory.error().message);
  InputOptions o{c.program, c.root, c.writable, c.name, c.libos, memory.value(), !c.no_rewrite,
                 c.net ? static_cast<uint32_t>(abi::kDeviceNet) : 0u, c.allow_wx, c.include, c.add, c.busybox_links};
  auto in = gather_inputs(o);
  if (!in) return fail(in.error().message);
  print_warnings(in.value());
  std::string output = c.output;
  if (output.empty()) {
    size_t slash = c.program.rfind('/');
    output = (slash == std::string::npos ? c.program : c.program.substr(slash + 1)) + ".shoal";
  }
  auto sum = builder::assemble_image(in.value(), output);
  if (!sum) return fail(c.program + ": " + sum.error().message);
  for (const auto& line : sum->lines) printf("%s\n", line.c_str());
  return 0;
}

}  // namespace shoal::cli
