// toml++ as the spec reader uses it: header-only and without exceptions
// (parse() returns a parse_result), so a bad file can never throw through the
// daemon. Include this, never <toml++/toml.h> directly, so every file agrees.
#pragma once

#define TOML_EXCEPTIONS 0
#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>
