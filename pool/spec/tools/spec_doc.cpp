// spec_doc FILE: rewrites the key tables of FILE (docs/spec.md) from the
// parser's entries (pool/spec/src/spec_keys.cpp), between the
// `<!-- keys: SECTION -->` and `<!-- /keys -->` markers. Run through
// `cmake --build build --target spec-doc`; the spec.KeyTables test fails
// until the committed file matches.
#include <stdio.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <shoal/pool/spec/key_docs.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: spec_doc FILE\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    fprintf(stderr, "spec_doc: cannot read %s\n", argv[1]);
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> problems;
  std::string out = shoal::pool::spec::replace_key_tables(text.str(), &problems);
  for (const auto& p : problems) fprintf(stderr, "spec_doc: %s: %s\n", argv[1], p.c_str());
  if (!problems.empty()) return 1;
  std::ofstream(argv[1], std::ios::trunc) << out;
  return 0;
}
