// docs/spec.md's key tables are the parser's entries rendered
// (pool/spec/src/spec_keys.cpp): a key added, removed or changed in one
// place and not the other fails here. Fix with
// `cmake --build build --target spec-doc`.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <shoal/pool/spec/key_docs.hpp>

namespace shoal::pool::spec {
namespace {

std::string read_doc() {
  std::ifstream in(SHOAL_SPEC_DOC);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(KeyTables, DocsMatchTheParsersEntries) {
  std::string doc = read_doc();
  ASSERT_FALSE(doc.empty()) << SHOAL_SPEC_DOC;
  std::vector<std::string> problems;
  std::string rendered = replace_key_tables(doc, &problems);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(rendered, doc) << "docs/spec.md differs from the key tables; run `cmake --build build --target spec-doc`";
}

TEST(KeyTables, EveryKeyOfASectionIsDocumented) {
  for (const auto& section : spec_key_docs()) {
    EXPECT_FALSE(section.keys.empty()) << section.name;
    for (const auto& key : section.keys) {
      EXPECT_FALSE(key.type.empty()) << section.name << "." << key.name;
      // No cell may break the markdown table.
      for (const std::string* cell : {&key.type, &key.default_text, &key.bounds, &key.meaning})
        EXPECT_EQ(cell->find('\n'), std::string::npos) << section.name << "." << key.name;
    }
  }
}

TEST(KeyTables, ReplaceReportsUnknownAndMissingSections) {
  std::vector<std::string> problems;
  std::string out = replace_key_tables("a\n<!-- keys: nowhere -->\nold\n<!-- /keys -->\nb\n", &problems);
  EXPECT_EQ(out, "a\n<!-- keys: nowhere -->\nold\n<!-- /keys -->\nb\n");
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems.front(), "no section named \"nowhere\"");
  // Every real section is then reported as missing its marker.
  EXPECT_EQ(problems.size(), 1 + spec_key_docs().size());
}

}  // namespace
}  // namespace shoal::pool::spec
