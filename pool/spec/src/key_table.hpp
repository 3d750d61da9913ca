// The spec's keys as data: each section of the file (the root, [gateway],
// [services.NAME], [[routes]], and their sub-tables) is one table of Key
// entries, and each entry is the single description of one key: its name,
// the member it sets, its type and bounds, its default (taken from the
// struct's default member initializer, so it is written once) and the
// one-line meaning docs/spec.md shows. parse_spec() reads a section by
// running its entries in order; spec_key_docs() renders the same entries as
// the tables of docs/spec.md (the spec.KeyTables test compares them).
//
// A new setting is one member in spec.hpp (with its default) and one entry in
// spec_keys.cpp; the docs table is regenerated with `cmake --build build
// --target spec-doc`.
#pragma once

#include <stdint.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <shoal/pool/spec/key_docs.hpp>
#include <shoal/pool/spec/spec.hpp>
#include <shoal/pool/spec/values.hpp>

#include "diagnostics.hpp"
#include "table_reader.hpp"

namespace shoal::pool::spec {

// What reading one file shares across sections.
struct ReadContext {
  Diagnostics& diag;
  const SpecEnvironment& env;
  std::filesystem::path base_dir;  // relative image and control paths start here
  // Each route's service names with the key path that named them.
  std::vector<std::pair<std::string, std::string>> references;
  std::vector<std::string> route_paths;  // parallel to Spec::routes
  // Key paths whose value was valid and stored (for checks across keys: a
  // default that depends on another key, a bound checked once all are read).
  std::set<std::string, std::less<>> applied;

  bool was_applied(const TableReader& t, std::string_view key) const {
    return applied.count(t.key_path(key)) != 0;
  }
};

template <class T>
struct Key {
  std::string_view name;
  std::string type;          // as docs/spec.md's "Value formats" names it
  std::string default_text;  // markdown
  std::string bounds;        // markdown; empty: none
  std::string_view meaning;  // markdown, one line
  // Reads the key from the table into the section. Empty: the key is read
  // together with an earlier entry of the same table (its entry says so).
  std::function<void(ReadContext&, TableReader&, T&)> read;
};

template <class T>
using Keys = std::vector<Key<T>>;

template <class T>
void read_keys(const Keys<T>& keys, ReadContext& ctx, TableReader& t, T& out) {
  for (const auto& key : keys)
    if (key.read) key.read(ctx, t, out);
}

template <class T>
KeySection section_docs(std::string name, const Keys<T>& keys) {
  KeySection s{std::move(name), {}};
  for (const auto& k : keys)
    s.keys.push_back(KeyDoc{std::string(k.name), k.type, k.default_text, k.bounds, std::string(k.meaning)});
  return s;
}

// The optional parts of an entry's documentation.
struct KeyText {
  std::string_view meaning = {};
  std::string_view default_text = {};  // empty: the struct's default, formatted
  std::string_view bounds = {};        // appended to the range ("even", "<= `interval`")
};

// A check against the section as read so far (another key's value); a
// message is the key's error and the value is not stored.
template <class T, class V>
using KeyCheck = std::optional<std::string> (*)(const T& section, V value);

namespace key_detail {

inline std::string code(std::string_view text) { return "`" + std::string(text) + "`"; }

inline std::string range(std::string from, std::string to, std::string_view extra) {
  std::string out = from + " - " + to;
  if (!extra.empty()) out += ", " + std::string(extra);
  return out;
}

inline std::string or_default(std::string_view given, std::string formatted) {
  return given.empty() ? formatted : std::string(given);
}

// The value of `field` in a default-constructed section: the default.
template <class T, class F>
auto default_of(F field) {
  T defaults{};
  return field(defaults);
}

// Applies a value read from the file: the check first, then the store.
template <class T, class V, class F>
void store(ReadContext& ctx, TableReader& t, std::string_view name, T& out, F field, KeyCheck<T, V> check,
           V value) {
  if (check) {
    if (auto why = check(out, value)) {
      t.error(name, *why);
      return;
    }
  }
  field(out) = static_cast<std::remove_reference_t<decltype(field(out))>>(value);
  ctx.applied.insert(t.key_path(name));
}

}  // namespace key_detail

// Each builder takes the key's name, an accessor for the member it sets
// (`[](Gateway& g) -> auto& { return g.max_held; }`), its bounds, its text
// and optionally a check against other keys.

template <class T, class F>
Key<T> integer_key(std::string_view name, F field, int64_t min, int64_t max, KeyText text,
                   KeyCheck<T, int64_t> check = nullptr) {
  using namespace key_detail;
  return {name, "integer",
          or_default(text.default_text, code(std::to_string(default_of<T>(field)))),
          range(std::to_string(min), std::to_string(max), text.bounds), text.meaning,
          [=](ReadContext& ctx, TableReader& t, T& out) {
            if (auto v = t.integer(name, min, max)) store<T, int64_t>(ctx, t, name, out, field, check, *v);
          }};
}

template <class T, class F>
Key<T> number_key(std::string_view name, F field, double min, double max, KeyText text,
                  KeyCheck<T, double> check = nullptr) {
  using namespace key_detail;
  return {name, "number", or_default(text.default_text, code(number_text(default_of<T>(field)))),
          range(number_text(min), number_text(max), text.bounds), text.meaning,
          [=](ReadContext& ctx, TableReader& t, T& out) {
            if (auto v = t.number(name, min, max)) store<T, double>(ctx, t, name, out, field, check, *v);
          }};
}

template <class T, class F>
Key<T> duration_key(std::string_view name, F field, Duration min, Duration max, KeyText text,
                    KeyCheck<T, Duration> check = nullptr) {
  using namespace key_detail;
  return {name, "duration", or_default(text.default_text, code(format_duration(default_of<T>(field)))),
          range(format_duration(min), format_duration(max), text.bounds), text.meaning,
          [=](ReadContext& ctx, TableReader& t, T& out) {
            if (auto v = t.duration(name, min, max)) store<T, Duration>(ctx, t, name, out, field, check, *v);
          }};
}

template <class T, class F>
Key<T> size_key(std::string_view name, F field, uint64_t min, uint64_t max, KeyText text,
                KeyCheck<T, uint64_t> check = nullptr) {
  using namespace key_detail;
  return {name, "size", or_default(text.default_text, code(size_text(default_of<T>(field)))),
          range(size_text(min), size_text(max), text.bounds), text.meaning,
          [=](ReadContext& ctx, TableReader& t, T& out) {
            if (auto v = t.size(name, min, max)) store<T, uint64_t>(ctx, t, name, out, field, check, *v);
          }};
}

template <class T, class F>
Key<T> boolean_key(std::string_view name, F field, KeyText text) {
  using namespace key_detail;
  return {name, "boolean",
          or_default(text.default_text, code(default_of<T>(field) ? "true" : "false")),
          std::string(text.bounds), text.meaning, [=](ReadContext& ctx, TableReader& t, T& out) {
            if (auto v = t.boolean(name)) store<T, bool>(ctx, t, name, out, field, nullptr, *v);
          }};
}

// A key whose reading is its own code (a format of its own, a sub-table, a
// list): the reader and every piece of text are given.
template <class T>
Key<T> custom_key(std::string_view name, std::string_view type, std::string_view default_text,
                  std::string_view bounds, std::string_view meaning,
                  std::function<void(ReadContext&, TableReader&, T&)> read) {
  return {name, std::string(type), std::string(default_text), std::string(bounds), meaning, std::move(read)};
}

}  // namespace shoal::pool::spec
