// Path resolution, exactly as Linux's namei: absolute and dirfd-relative
// paths, "." and "..", repeated and trailing slashes, symlinks (ELOOP after
// 40), ENOENT/ENOTDIR/ENAMETOOLONG. Also the root, the mounts on it (/tmp,
// /dev, /proc) and the current directory.
#pragma once

#include <stddef.h>

#include "vfs/vnode.hpp"

namespace libos::fs {

enum class LastType { normal, root, dot, dotdot };

// The result of a walk up to (and including, if it exists) the last component.
struct Walk {
  Vnode* parent = nullptr;   // directory holding the last component
  Vnode* node = nullptr;     // the last component; nullptr if it does not exist
  const char* last = nullptr;
  size_t last_len = 0;
  LastType type = LastType::normal;
  bool trailing_slash = false;
};

// Checks a user path: its length, or -EFAULT / -ENAMETOOLONG. An empty path
// is returned as 0 (callers give -ENOENT unless AT_EMPTY_PATH).
long user_path(const char* path);

// The directory a relative path starts from: cwd for AT_FDCWD, else dirfd's
// node (-EBADF, -ENOTDIR).
long path_start(int dirfd, Vnode** out);

// How a walk treats a symlink as last component.
enum class Follow {
  no,     // not followed, unless a slash follows it (lstat, O_NOFOLLOW)
  yes,    // followed (stat, open)
  never,  // the link itself, even with a trailing slash (mkdir, unlink, rename)
};

// Walks a checked, non-empty path. Missing intermediate components give
// -ENOENT; a missing last component gives w->node = nullptr.
long path_walk(int dirfd, const char* path, Follow follow, Walk* w);

// Resolves a user path to an existing node: -ENOENT if it does not exist,
// -ENOTDIR if a trailing slash follows a non-directory.
long path_lookup(int dirfd, const char* path, bool follow_last, Vnode** out);

// The absolute path of a directory into buf (NUL-terminated); its length
// without the NUL, or -ENOENT (unlinked) / -ERANGE (size too small).
long vnode_path(Vnode* dir, char* buf, size_t size);

Vnode* root_vnode();
Vnode* cwd_vnode();
void set_root(Vnode* root);
void set_cwd(Vnode* dir);  // takes a reference, drops the old one

// Mounts over names in the root directory.
void mount(const char* name, Vnode* root);
Vnode* mount_lookup(const char* name, size_t len);
// Mount i (0-based) not shadowed by... every mount: 1 and *out, or 0 past the end.
long mount_entry(size_t index, DirEntry* out);

}  // namespace libos::fs
