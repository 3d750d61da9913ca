#include "jail.hpp"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace shoal::vmm {
namespace {

// "123" -> 123; nullopt for anything that is not a plain decimal id.
std::optional<uint32_t> parse_id(const std::string& text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v >= UINT32_MAX) return std::nullopt;  // (uid_t)-1 means "unchanged" to setresuid
  return static_cast<uint32_t>(v);
}

// The fields of the line of a colon-separated database (passwd, group) whose
// first field is `name`, or whose id field (index `id_field`) is `id`. Lines
// with `min_fields` fields or fewer are skipped.
std::optional<std::vector<std::string>> find_entry(const std::string& path, const std::string* name,
                                                   std::optional<uint32_t> id, size_t id_field,
                                                   size_t min_fields) {
  FILE* f = fopen(path.c_str(), "re");
  if (f == nullptr) return std::nullopt;
  std::optional<std::vector<std::string>> found;
  char line[1024];
  while (!found && fgets(line, sizeof line, f) != nullptr) {
    std::vector<std::string> fields(1);
    for (char* p = line; *p && *p != '\n'; ++p) {
      if (*p == ':')
        fields.emplace_back();
      else
        fields.back() += *p;
    }
    if (fields.size() <= min_fields) continue;
    if ((name != nullptr && fields[0] == *name) || (id && parse_id(fields[id_field]) == id)) found = fields;
  }
  fclose(f);
  return found;
}

constexpr size_t kPasswdUid = 2, kPasswdGid = 3, kGroupGid = 2;

int cap_data_words() { return _LINUX_CAPABILITY_U32S_3; }

Result<void> clear_capability_sets() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  // Dropping capabilities is always allowed: no privilege needed.
  if (syscall(SYS_capset, &header, data) != 0) return errno_error("capset (clearing every capability)");
  return {};
}

Result<void> verify_no_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return errno_error("capget");
  for (int i = 0; i < cap_data_words(); ++i) {
    if (data[i].effective || data[i].permitted || data[i].inheritable)
      return make_error("capabilities remain after dropping them (capget)");
  }
  return {};
}

// The jail's root: an empty, read-only tmpfs, entered in a new mount
// namespace. The monitor needs no path after its set-up (the image is mapped,
// the symbols too, --timing's /proc/self/status is already open), so nothing
// is lost; a monitor subverted past seccomp would find no file to reach.
Result<void> enter_empty_root() {
  if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) != 0)
    return errno_error("unshare of the mount, IPC and UTS namespaces");
  // Nothing done below may propagate back to the host's namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return errno_error("making the mounts private (mount MS_REC|MS_PRIVATE on /)");
  // NOTE: any existing directory serves as the mount point, in this namespace
  // only. /dev exists: the monitor has just opened /dev/kvm through it.
  const char* where = "/dev";
  if (mount("shoal-jail", where, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
            "size=4k,nr_inodes=2,mode=0555") != 0)
    return errno_error("mounting the jail's empty root (tmpfs on /dev)");
  if (chdir(where) != 0) return errno_error("chdir into the jail's root");
  // pivot_root(".", ".") stacks the old root on top of the new one; the lazy
  // unmount then detaches it, and every host file system with it.
  if (syscall(SYS_pivot_root, ".", ".") == 0) {
    if (umount2(".", MNT_DETACH) != 0) return errno_error("detaching the host's file systems (umount2)");
  } else if (errno == EINVAL) {
    // The current root is not a mount point (the monitor runs in a chroot):
    // chroot instead. The host's tree stays in the namespace but no path or
    // descriptor reaches it, and CAP_SYS_CHROOT is dropped below.
    if (chroot(".") != 0) return errno_error("chroot into the jail's root");
  } else {
    return errno_error("pivot_root into the jail's root");
  }
  if (chdir("/") != 0) return errno_error("chdir / in the jail");
  return {};
}

Result<void> switch_identity(const JailIdentity& id) {
  // A credential change clears the parent-death signal (prctl(2)); shoald
  // sets one so that its instances die with it. Kept across the change, and
  // if the parent ended meanwhile the signal would never come: give up.
  int pdeath = 0;
  if (prctl(PR_GET_PDEATHSIG, &pdeath) != 0) pdeath = 0;
  pid_t parent = getppid();
  if (setgroups(0, nullptr) != 0) return errno_error("setgroups (dropping supplementary groups)");
  if (setresgid(id.gid, id.gid, id.gid) != 0) return errno_error("setresgid " + std::to_string(id.gid));
  // The uid change from 0 clears the permitted and effective capabilities
  // (PR_SET_KEEPCAPS is off) and makes the process non-dumpable.
  if (setresuid(id.uid, id.uid, id.uid) != 0) return errno_error("setresuid " + std::to_string(id.uid));
  uid_t r, e, s;
  gid_t rg, eg, sg;
  if (getresuid(&r, &e, &s) != 0 || r != id.uid || e != id.uid || s != id.uid ||
      getresgid(&rg, &eg, &sg) != 0 || rg != id.gid || eg != id.gid || sg != id.gid ||
      getgroups(0, nullptr) != 0)
    return make_error("the uid/gid switch did not take effect");
  if (pdeath != 0 && (prctl(PR_SET_PDEATHSIG, pdeath) != 0 || getppid() != parent))
    return make_error("its parent ended while it entered the jail");
  return {};
}

}  // namespace

Result<JailIdentity> resolve_jail_identity(const std::string& spec, const std::string& passwd_path,
                                           const std::string& group_path) {
  JailIdentity id;
  if (spec.empty()) {
    std::string nobody = "nobody";
    if (auto pw = find_entry(passwd_path, &nobody, std::nullopt, kPasswdUid, kPasswdGid)) {
      auto uid = parse_id((*pw)[kPasswdUid]);
      auto gid = parse_id((*pw)[kPasswdGid]);
      if (uid && gid && *uid != 0 && *gid != 0) return JailIdentity{*uid, *gid};
    }
    return id;  // 65534:65534, the conventional overflow ids
  }
  size_t colon = spec.find(':');
  std::string user = spec.substr(0, colon);
  std::optional<std::string> group;
  if (colon != std::string::npos) group = spec.substr(colon + 1);
  if (user.empty() || (group && group->empty()))
    return make_error("--user " + spec + ": expected USER[:GROUP] (names or numbers)");

  std::optional<uint32_t> primary_gid;
  if (auto uid = parse_id(user)) {
    id.uid = *uid;
    if (auto pw = find_entry(passwd_path, nullptr, uid, kPasswdUid, kPasswdGid))
      primary_gid = parse_id((*pw)[kPasswdGid]);
    if (!primary_gid) primary_gid = *uid;
  } else {
    auto pw = find_entry(passwd_path, &user, std::nullopt, kPasswdUid, kPasswdGid);
    if (!pw) return make_error("--user " + spec + ": no user '" + user + "' in " + passwd_path);
    auto named_uid = parse_id((*pw)[kPasswdUid]);
    primary_gid = parse_id((*pw)[kPasswdGid]);
    if (!named_uid || !primary_gid)
      return make_error("--user " + spec + ": bad entry for '" + user + "' in " + passwd_path);
    id.uid = *named_uid;
  }
  if (!group) {
    id.gid = *primary_gid;
  } else if (auto gid = parse_id(*group)) {
    id.gid = *gid;
  } else {
    auto gr = find_entry(group_path, &*group, std::nullopt, kGroupGid, kGroupGid);
    auto named_gid = gr ? parse_id((*gr)[kGroupGid]) : std::nullopt;
    if (!named_gid) return make_error("--user " + spec + ": no group '" + *group + "' in " + group_path);
    id.gid = *named_gid;
  }
  if (id.uid == 0 || id.gid == 0)
    return make_error("--user " + spec +
                      ": the monitor does not run as root (uid and gid must not be 0; "
                      "--no-jail keeps the launcher's identity)");
  return id;
}

Result<void> close_inherited_fds(std::span<const int> keep) {
  std::vector<unsigned> kept;
  for (int fd : keep)
    if (fd >= 3) kept.push_back(static_cast<unsigned>(fd));
  std::sort(kept.begin(), kept.end());
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  unsigned first = 3;
  bool fallback = false;
  auto close_span = [&](unsigned lo, unsigned hi) {
    if (fallback || lo > hi) return;
    if (close_range(lo, hi, 0) != 0) fallback = true;
  };
  for (unsigned fd : kept) {
    if (fd > first) close_span(first, fd - 1);
    first = fd + 1;
  }
  close_span(first, ~0u);
  if (!fallback) return {};
  // close_range fails only where the kernel lacks it (ENOSYS, before 5.9).
  if (errno != ENOSYS) return errno_error("close_range");
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return errno_error("closing inherited descriptors: /proc/self/fd");
  std::vector<int> doomed;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long fd = strtol(e->d_name, &end, 10);
    if (*e->d_name == 0 || *end != 0 || fd < 3 || fd == dirfd(dir)) continue;
    if (!std::binary_search(kept.begin(), kept.end(), static_cast<unsigned>(fd)))
      doomed.push_back(static_cast<int>(fd));
  }
  closedir(dir);
  for (int fd : doomed) close(fd);
  return {};
}

// Clears the bounding set as far as the process may: it needs CAP_SETPCAP.
// Without it (an unprivileged launcher) the set stays; with no_new_privs and
// seccomp's ban on execve nothing could be raised from it anyway.
static Result<bool> clear_bounding_set() {
  for (int cap = 0;; ++cap) {
    int in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (in_set < 0) return true;  // EINVAL: past the kernel's last capability
    if (in_set == 0) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno != EPERM) return errno_error("PR_CAPBSET_DROP " + std::to_string(cap));
      return false;
    }
  }
}

Result<void> drop_capabilities(bool* bounding_cleared) {
  *bounding_cleared = TRY(clear_bounding_set());
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return errno_error("clearing the ambient capabilities");
  TRY(clear_capability_sets());
  return verify_no_capabilities();
}

static Result<JailReport> confine(const JailConfig& config) {
  JailReport report;
  if (geteuid() == 0) {
    TRY(enter_empty_root());
    // The bounding set while CAP_SETPCAP lasts, the identity while
    // CAP_SETUID/CAP_SETGID last; then whatever is left.
    (void)TRY(clear_bounding_set());
    TRY(switch_identity(config.identity));
    report.switched_identity = true;
  }
  TRY(drop_capabilities(&report.bounding_set_cleared));
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno_error("PR_SET_NO_NEW_PRIVS");
  return report;
}

Result<JailReport> enter_jail(const JailConfig& config) {
  if (!config.enabled) return JailReport{};
  auto report = confine(config);
  if (!report) {
    // E.g. root without CAP_SYS_ADMIN in a container: refuse rather than run
    // half-confined, and say how to run anyway.
    return make_error("jail: " + report.error().message + " (--no-jail runs the monitor unconfined but for seccomp)",
                      report.error().code);
  }
  return report;
}

}  // namespace shoal::vmm
