// Per-user directories in shared places (/tmp, $XDG_RUNTIME_DIR, ~/.cache):
// the one way shoal's host programs create and use them.
//
// A directory under a predictable name in /tmp can be planted by another
// user (as a symbolic link, or as a directory they own or left writable), so
// that whatever shoal writes there lands where they want, or whatever shoal
// reads (a cached image, a control socket) is theirs. open_private_dir()
// refuses every such directory; files are then created relative to its
// descriptor with O_NOFOLLOW (create_private_file, write_private_file).
// docs/security.md "Local files" states the rules.
#pragma once

#include <stdint.h>

#include <span>
#include <string>

#include <shoal/base/result.hpp>

namespace shoal {

// An open directory that passed the checks of open_private_dir. Move-only;
// closes its descriptor.
class PrivateDir {
 public:
  PrivateDir(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
  PrivateDir(PrivateDir&& o) noexcept : m_fd(o.m_fd), m_path(std::move(o.m_path)) { o.m_fd = -1; }
  PrivateDir& operator=(PrivateDir&&) = delete;
  PrivateDir(const PrivateDir&) = delete;
  ~PrivateDir();

  int fd() const { return m_fd; }
  const std::string& path() const { return m_path; }  // as given (not resolved)
  std::string file(const std::string& name) const { return m_path + "/" + name; }

 private:
  int m_fd;
  std::string m_path;
};

enum class CreateDir {
  no,       // the directory must exist
  leaf,     // create the last component (0700); its parent must exist
  parents,  // create missing components too (0700 each), like mkdir -p
};

// Opens `path` as a directory only this user can write to, creating it first
// as asked. Refused, with a one-line error naming the path and the reason:
//   - the last component is not a real directory (a symbolic link: opened
//     with O_NOFOLLOW; a file; ...),
//   - it is not owned by the effective user, or group or others may write it;
//   - a directory above it (resolved) could be changed by another user: each
//     must be owned by the effective user or root, and writable by group or
//     others only with the sticky bit (like /tmp), where no one can rename or
//     remove another user's entries.
Result<PrivateDir> open_private_dir(const std::string& path, CreateDir create);

// The user's runtime directory for sockets and logs: $XDG_RUNTIME_DIR/shoal
// when XDG_RUNTIME_DIR is an absolute path, else $TMPDIR/shoal-UID (TMPDIR
// when absolute, else /tmp). A path only: open it with open_private_dir.
std::string user_runtime_dir();

// The temporary-files root shoal uses when nothing better is set: $TMPDIR
// when absolute, else /tmp.
std::string user_tmp_dir();

// Creates or opens `name` in `dir` without following a symbolic link, mode
// 0600 when created. `flags` adds O_WRONLY/O_RDWR, O_CREAT, O_EXCL, O_TRUNC,
// O_APPEND as needed (O_NOFOLLOW and O_CLOEXEC are always added). The file
// must be a regular file owned by the effective user, or it is refused.
Result<int> open_private_file(const PrivateDir& dir, const std::string& name, int flags);

// Writes `bytes` to `name` in `dir` atomically: a new temporary file (O_EXCL,
// 0600) renamed over `name`, so a reader sees the old or the new contents.
Result<void> write_private_file(const PrivateDir& dir, const std::string& name, std::span<const uint8_t> bytes);

}  // namespace shoal
