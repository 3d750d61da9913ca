// The key tables of the spec file (spec_keys.cpp): parse_spec() reads the
// root table through them; spec_key_docs() (key_docs.hpp) renders them.
#pragma once

#include <stddef.h>

#include "key_table.hpp"

namespace shoal::pool::spec {

inline constexpr size_t kMaxSocketPath = 107;  // sizeof(sockaddr_un::sun_path) - 1

// Reads every key of the root table (and, through theirs, of every section
// below it) into spec. The caller finishes the root (unknown keys).
void read_root(ReadContext& ctx, TableReader& root, Spec& spec);

}  // namespace shoal::pool::spec
