// The cache of images that `shoal run PROGRAM` builds, so that a second run
// of the same program starts at once.
//
// Where: $XDG_CACHE_HOME/shoal, else $HOME/.cache/shoal, else
// $TMPDIR/shoal-cache-UID (/tmp/shoal-cache-UID) — a directory opened with
// open_private_dir (ours alone, no link), every file in it opened relative to
// it without following links, written atomically, mode 0600.
//
// Entries (docs/security.md, "Local files"):
//   NAME-CONTENTKEY.shoal  the image; CONTENTKEY = XXH3-128 of everything it
//                          is made of (program, LibOS, root files, options)
//   NAME-CONTENTKEY.ref    "shoal-cache 1 IMAGE DIGEST": the image's XXH3-128
//                          digest, recorded when it was built
//   id-IDENTITYKEY.ref     the same record, keyed by the identity of the inputs
//                          (device, inode, size, mtime and ctime of the
//                          program, the LibOS and this shoal binary, plus the
//                          options): a hit reads no input at all
// An image is run only after its digest matched the record; a mismatch (a
// truncated, corrupted or modified file) rebuilds it.
#pragma once

#include <string>

#include <shoal/base/result.hpp>

#include "commands.hpp"

namespace shoal::cli {

// The cache directory for this user (a path; not opened or checked).
std::string image_cache_dir();

// The path of an image of `c.target` built with c's options: from the cache
// when there is a verified one, else built into it now.
Result<std::string> cached_image(const RunCommand& c);

}  // namespace shoal::cli
