// JSON for the gateway's compositions: splitting a scatter request's array
// into its elements, and joining answers into one JSON document.
//
// The validator is strict RFC 8259 JSON: UTF-8 checked (no overlong forms,
// surrogates or code points past U+10FFFF), \u escapes must pair surrogates,
// numbers follow the grammar, nesting is bounded. It is a single pass that
// allocates nothing but the element list.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <shoal/base/result.hpp>

namespace shoal::pool::http {

struct JsonLimits {
  size_t max_depth = 64;         // nesting of arrays and objects, the top array included
  size_t max_elements = 10000;  // elements of the top-level array
};

// A byte range of the input: [offset, offset + length).
struct ByteRange {
  size_t offset = 0;
  size_t length = 0;
  std::string_view of(std::string_view text) const { return text.substr(offset, length); }
};

// The top-level elements of `body`, which must be one JSON array (whitespace
// around it allowed). Each range covers one element exactly (no surrounding
// whitespace). Errors say what and at which byte offset.
Result<std::vector<ByteRange>> split_json_array(std::string_view body, const JsonLimits& limits = {});

// Whether `text` is one JSON value (whitespace around it allowed).
bool is_json(std::string_view text, size_t max_depth = 64);

// `raw` as a JSON string literal: quotes, escapes, and U+FFFD for each byte
// that is not part of valid UTF-8.
void append_json_string(std::string& out, std::string_view raw);

// `body` as a JSON value: itself (without surrounding whitespace) if it is
// valid JSON, else as a JSON string.
void append_json_value(std::string& out, std::string_view body);

// "[e1,e2,...]", each element through append_json_value: the result is
// always valid JSON.
std::string join_json_array(std::span<const std::string_view> elements);

struct NamedBody {
  std::string_view name;  // e.g. the service
  std::string_view body;
};
// {"name1":body1,...} for a fanout, each body through append_json_value.
std::string join_json_object(std::span<const NamedBody> members);

}  // namespace shoal::pool::http
