// Every key of the spec file, as docs/spec.md documents it: rendered from the
// same entries parse_spec() reads the file with (pool/spec/src/spec_keys.cpp),
// so the documentation cannot drift from the parser. The spec.KeyTables test
// compares docs/spec.md with render_key_table(); `cmake --build build
// --target spec-doc` rewrites the tables there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shoal::pool::spec {

struct KeyDoc {
  std::string name;
  std::string type;
  std::string default_text;
  std::string bounds;
  std::string meaning;
};

struct KeySection {
  std::string name;  // "gateway", "services.NAME.health", "routes", ...
  std::vector<KeyDoc> keys;
};

// The sections in the order docs/spec.md presents them.
std::vector<KeySection> spec_key_docs();

// A markdown table: | key | type | default | bounds | meaning |.
std::string render_key_table(const KeySection& section);

// Replaces the table between `<!-- keys: NAME -->` and `<!-- /keys -->` for
// every section in `doc` (a markdown file's text). Sections named in the
// markers but unknown, and known sections without markers, are listed in
// *problems.
std::string replace_key_tables(std::string_view doc, std::vector<std::string>* problems);

}  // namespace shoal::pool::spec
