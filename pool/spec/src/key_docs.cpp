// The key tables of docs/spec.md, rendered from the parser's own entries.
#include <shoal/pool/spec/key_docs.hpp>

#include <map>
#include <set>

namespace shoal::pool::spec {
namespace {

constexpr std::string_view kOpen = "<!-- keys: ";
constexpr std::string_view kOpenEnd = " -->";
constexpr std::string_view kClose = "<!-- /keys -->";

}  // namespace

std::string render_key_table(const KeySection& section) {
  std::string out = "| key | type | default | bounds | meaning |\n|---|---|---|---|---|\n";
  for (const auto& k : section.keys) {
    out += "| `" + k.name + "` | " + k.type + " | " + k.default_text + " | " + k.bounds + " | " + k.meaning + " |\n";
  }
  return out;
}

std::string replace_key_tables(std::string_view doc, std::vector<std::string>* problems) {
  std::map<std::string, std::string, std::less<>> tables;
  for (const auto& s : spec_key_docs()) tables.emplace(s.name, render_key_table(s));
  std::set<std::string, std::less<>> placed;
  std::string out;
  size_t pos = 0;
  for (;;) {
    size_t open = doc.find(kOpen, pos);
    if (open == std::string_view::npos) break;
    size_t name_start = open + kOpen.size();
    size_t name_end = doc.find(kOpenEnd, name_start);
    size_t close = name_end == std::string_view::npos ? name_end : doc.find(kClose, name_end);
    if (close == std::string_view::npos) {
      if (problems) problems->push_back("unterminated marker at offset " + std::to_string(open));
      break;
    }
    std::string_view name = doc.substr(name_start, name_end - name_start);
    size_t body = name_end + kOpenEnd.size() + 1;  // after the marker's newline
    out += doc.substr(pos, body - pos);
    auto it = tables.find(name);
    if (it == tables.end()) {
      if (problems) problems->push_back("no section named \"" + std::string(name) + "\"");
      out += doc.substr(body, close - body);
    } else {
      out += it->second;
      placed.insert(it->first);
    }
    pos = close;
  }
  out += doc.substr(pos);
  if (problems)
    for (const auto& [name, table] : tables)
      if (!placed.count(name)) problems->push_back("section \"" + name + "\" has no <!-- keys: " + name + " --> marker");
  return out;
}

}  // namespace shoal::pool::spec
