#include <shoal/base/private_dir.hpp>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

namespace shoal {

namespace {

std::string mode_text(mode_t mode) {
  char buf[16];
  snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Every directory from / down to `real` (a resolved path: no symbolic links)
// must be one no other user can change entries of: owned by us or root, and
// writable by group/others only when sticky (then only an entry's owner may
// rename or remove it).
Result<void> check_ancestors(const std::string& real, const std::string& what) {
  uid_t me = geteuid();
  for (size_t i = 1; i <= real.size(); ++i) {
    if (i != real.size() && real[i] != '/') continue;
    std::string prefix = real.substr(0, i);
    struct stat st;
    if (lstat(prefix.c_str(), &st) != 0) return errno_error(what + ": " + prefix);
    if (!S_ISDIR(st.st_mode)) return make_error(what + ": " + prefix + " is not a directory");
    if (st.st_uid != me && st.st_uid != 0)
      return make_error(what + ": " + prefix + " is owned by another user (uid " + std::to_string(st.st_uid) +
                        "); refusing a directory below it");
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
      return make_error(what + ": " + prefix + " is writable by other users without the sticky bit (mode " +
                        mode_text(st.st_mode) + "); refusing a directory below it");
  }
  return {};
}

// Why `leaf` in the directory `parent_fd` could not be opened as a directory.
Error describe_bad_leaf(int parent_fd, const std::string& leaf, const std::string& path, int err) {
  struct stat st;
  if (fstatat(parent_fd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlinkat(parent_fd, leaf.c_str(), target, sizeof target - 1);
      std::string to = n > 0 ? std::string(target, static_cast<size_t>(n)) : "?";
      return make_error(path + ": is a symbolic link (to " + to + "), not a directory; refusing it", ELOOP);
    }
    if (!S_ISDIR(st.st_mode)) return make_error(path + ": exists and is not a directory; refusing it", ENOTDIR);
  }
  return make_error(path + ": cannot open the directory: " + strerror(err), err);
}

}  // namespace

PrivateDir::~PrivateDir() {
  if (m_fd >= 0) close(m_fd);
}

Result<PrivateDir> open_private_dir(const std::string& path, CreateDir create) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p.empty() || p[0] != '/') return make_error(path + ": not an absolute path");
  size_t slash = p.rfind('/');
  std::string parent = slash == 0 ? "/" : p.substr(0, slash);
  std::string leaf = p.substr(slash + 1);
  if (leaf.empty() || leaf == "." || leaf == "..") return make_error(path + ": not a directory name");

  if (create == CreateDir::parents)
    for (size_t i = 1; i < parent.size(); ++i)
      if (parent[i] == '/') mkdir(parent.substr(0, i).c_str(), 0700);
  if (create == CreateDir::parents) mkdir(parent.c_str(), 0700);  // errors show up below

  // Resolve the parent once and check what it resolved to; from then on the
  // leaf is reached through the parent's descriptor, never by name again.
  char real[PATH_MAX];
  if (realpath(parent.c_str(), real) == nullptr) return errno_error(path + ": " + parent);
  TRY(check_ancestors(real, path));
  int parent_fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent_fd < 0) return errno_error(path + ": " + parent);
  if (create != CreateDir::no && mkdirat(parent_fd, leaf.c_str(), 0700) != 0 && errno != EEXIST) {
    Error e = errno_error(path + ": cannot create the directory");
    close(parent_fd);
    return e;
  }
  int fd = openat(parent_fd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    Error e = describe_bad_leaf(parent_fd, leaf, path, errno);
    close(parent_fd);
    return e;
  }
  close(parent_fd);
  PrivateDir dir(fd, p);
  struct stat st;
  if (fstat(fd, &st) != 0) return errno_error(path + ": fstat");
  if (st.st_uid != geteuid())
    return make_error(path + ": owned by another user (uid " + std::to_string(st.st_uid) + ", this user is uid " +
                      std::to_string(geteuid()) + "); refusing it");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return make_error(path + ": writable by group or others (mode " + mode_text(st.st_mode) +
                      "); refusing it (chmod 700 it if it is yours)");
  return dir;
}

std::string user_tmp_dir() {
  const char* tmp = getenv("TMPDIR");
  if (tmp && tmp[0] == '/') return tmp;
  return "/tmp";
}

std::string user_runtime_dir() {
  const char* xdg = getenv("XDG_RUNTIME_DIR");
  if (xdg && xdg[0] == '/') return std::string(xdg) + "/shoal";
  return user_tmp_dir() + "/shoal-" + std::to_string(getuid());
}

Result<int> open_private_file(const PrivateDir& dir, const std::string& name, int flags) {
  std::string what = dir.file(name);
  int fd = openat(dir.fd(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == ELOOP) return make_error(what + ": is a symbolic link; refusing it", ELOOP);
    return errno_error(what);
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
    close(fd);
    return make_error(what + ": not a regular file of this user; refusing it");
  }
  return fd;
}

Result<void> write_private_file(const PrivateDir& dir, const std::string& name, std::span<const uint8_t> bytes) {
  std::string tmp = "." + name + ".tmp." + std::to_string(getpid());
  unlinkat(dir.fd(), tmp.c_str(), 0);  // left by a crashed process with our pid
  int fd = TRY(open_private_file(dir, tmp, O_WRONLY | O_CREAT | O_EXCL));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;
      close(fd);
      unlinkat(dir.fd(), tmp.c_str(), 0);
      return make_error(dir.file(tmp) + ": write failed: " + strerror(err), err);
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0 || renameat(dir.fd(), tmp.c_str(), dir.fd(), name.c_str()) != 0) {
    Error e = errno_error(dir.file(name) + ": cannot write");
    unlinkat(dir.fd(), tmp.c_str(), 0);
    return e;
  }
  return {};
}

}  // namespace shoal
