// rewrite_object ENTRY IN OUT: rewrite_elf_object on one file, for trying the
// object rewriter by hand (the tests call the library directly). Prints the
// site counts and the addresses left to the ring-0 bounce.
#include <stdio.h>
#include <stdlib.h>

#include <fstream>

#include <shoal/builder/elf_program.hpp>
#include <shoal/builder/object_rewriter.hpp>

int main(int argc, char** argv) {
  using namespace shoal::builder;
  if (argc != 4) {
    fprintf(stderr, "usage: rewrite_object ENTRY IN OUT\n");
    return 2;
  }
  auto in = read_file(argv[2], 1ull << 30);
  if (!in) {
    fprintf(stderr, "%s\n", in.error().message.c_str());
    return 1;
  }
  auto r = rewrite_elf_object(*in, {strtoull(argv[1], nullptr, 0)});
  if (!r) {
    fprintf(stderr, "%s: %s\n", argv[2], r.error().message.c_str());
    return 1;
  }
  std::ofstream(argv[3], std::ios::binary)
      .write(reinterpret_cast<const char*>(r->file.data()), static_cast<std::streamsize>(r->file.size()));
  printf("%s: sites %u rewritten %u%s\n", argv[2], r->sites, r->rewritten,
         r->already_rewritten ? " (already rewritten)" : "");
  for (uint64_t a : r->fallback) printf("  fallback %#lx\n", static_cast<unsigned long>(a));
  return 0;
}
