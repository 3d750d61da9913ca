// The processes of one instance family (docs/architecture.md, "Processes"):
// a table in a MAP_SHARED anonymous page the first monitor maps before its
// jail, inherited by every monitor a fork makes, so each of them sees every
// process's guest pid, host pid, parent, process group and session. The
// guest never sees the table (it is not in guest memory): a guest can only
// reach it through the `process` hypercall's checked operations. Fields are
// atomics: monitors are separate processes updating it concurrently.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <atomic>

#include <shoal/base/result.hpp>

namespace shoal::vmm {

inline constexpr uint32_t kFamilyMaxEntries = 1024;
inline constexpr uint32_t kDefaultMaxProcesses = 64;

struct FamilyEntry {
  std::atomic<int32_t> guest_pid;   // 0: free
  std::atomic<int32_t> host_pid;    // 0 until the fork returned in the parent
  std::atomic<int32_t> parent;      // the parent's guest pid
  std::atomic<int32_t> pgid;
  std::atomic<int32_t> sid;
};

struct FamilyTable {
  std::atomic<int32_t> next_pid;
  std::atomic<uint32_t> used;       // entries in use (live processes and zombies)
  uint32_t max_processes;
  uint32_t _pad;
  FamilyEntry entries[kFamilyMaxEntries];
};
static_assert(std::atomic<int32_t>::is_always_lock_free);

class Family {
 public:
  // Maps the table and enters the first process (pid 1, its own group, the
  // launcher's session). max_processes in [1, kFamilyMaxEntries].
  static Result<Family> create(uint32_t max_processes);

  FamilyTable& table() const { return *m_table; }
  int32_t self_pid() const { return m_self; }
  FamilyEntry* self() const { return find(m_self); }
  FamilyEntry* find(int32_t guest_pid) const;
  FamilyEntry* find_host(pid_t host_pid) const;

  // A new entry for a child of this process (host_pid still 0), or nullptr
  // past the limit.
  FamilyEntry* add_child();
  // Frees an entry (the child was reaped, or the fork failed).
  void remove(FamilyEntry* e);
  // In the forked child: this monitor now speaks for `pid`.
  void become(int32_t pid) { m_self = pid; }
  // True if this process has a child entry matching pid (> 0: that one; else any).
  bool has_child(int32_t pid) const;
  // The first process ending ends the family, as Linux's pid 1 would: every
  // other live process gets SIGKILL.
  void kill_all_others() const;

 private:
  explicit Family(FamilyTable* t) : m_table(t) {}
  FamilyTable* m_table = nullptr;
  int32_t m_self = 1;
};

}  // namespace shoal::vmm
