// libFuzzer target: the ELF validator and, for accepted files, the section
// loader and the syscall rewriter that run on them; and the dynamic-section
// reader that `shoal build` runs on every library it considers.
#include <stddef.h>
#include <stdint.h>

#include <shoal/builder/dynamic.hpp>
#include <shoal/builder/elf_program.hpp>
#include <shoal/builder/rewriter.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal::builder;
  (void)read_dynamic_info(std::span<const uint8_t>(data, size));
  auto prog = parse_elf(std::vector<uint8_t>(data, data + size), ElfRole::app);
  if (!prog.ok()) return 0;
  std::vector<std::vector<uint8_t>> copies;
  std::vector<CodeRegion> regions;
  for (const auto& c : prog->code) {
    if (c.offset > prog->bytes.size() || c.size > prog->bytes.size() - c.offset) __builtin_trap();
    copies.emplace_back(prog->bytes.begin() + static_cast<long>(c.offset),
                        prog->bytes.begin() + static_cast<long>(c.offset + c.size));
  }
  for (size_t i = 0; i < copies.size(); ++i) regions.push_back({prog->code[i].vaddr, copies[i]});
  RewriteOptions opt{0x10000000, 0x201000, {}};
  (void)rewrite_syscalls(regions, opt);  // a Result: fuzzing looks for crashes only
  return 0;
}
