#include "family.hpp"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

namespace shoal::vmm {

Result<Family> Family::create(uint32_t max_processes) {
  if (max_processes < 1 || max_processes > kFamilyMaxEntries)
    return make_error("--max-processes " + std::to_string(max_processes) + ": must be in [1, " +
                      std::to_string(kFamilyMaxEntries) + "]");
  void* p = mmap(nullptr, sizeof(FamilyTable), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return make_error(std::string("mmap of the family table: ") + strerror(errno));
  // SAFETY: a fresh mapping of the table's size, zero-filled by the kernel:
  // every lock-free atomic in it holds 0 (every entry free). Not constructed
  // with new: that would write (and make resident) all 20 KiB; only the
  // pages a fork touches become resident.
  auto* t = static_cast<FamilyTable*>(p);
  t->next_pid.store(2);
  t->max_processes = max_processes;
  t->used.store(1);
  FamilyEntry& first = t->entries[0];
  first.host_pid.store(getpid());
  first.parent.store(0);
  // Its own group; the session is the launcher's, outside the family (0,
  // as getsid gives for a session beyond a pid namespace): pid 1 can
  // setpgid itself as a shell's child would, and is not a session leader.
  first.pgid.store(1);
  first.sid.store(0);
  first.guest_pid.store(1);
  return Family(t);
}

FamilyEntry* Family::find(int32_t guest_pid) const {
  if (guest_pid <= 0) return nullptr;
  for (auto& e : m_table->entries)
    if (e.guest_pid.load() == guest_pid) return &e;
  return nullptr;
}

FamilyEntry* Family::find_host(pid_t host_pid) const {
  for (auto& e : m_table->entries)
    if (e.guest_pid.load() != 0 && e.host_pid.load() == host_pid) return &e;
  return nullptr;
}

FamilyEntry* Family::add_child() {
  uint32_t used = m_table->used.load();
  do {
    if (used >= m_table->max_processes) return nullptr;
  } while (!m_table->used.compare_exchange_weak(used, used + 1));
  int32_t pid = m_table->next_pid.fetch_add(1);
  FamilyEntry* self_entry = self();
  for (auto& e : m_table->entries) {
    int32_t expected = 0;
    // Claimed with a placeholder (-1) so no other monitor takes it, filled,
    // then published with the pid.
    if (!e.guest_pid.compare_exchange_strong(expected, -1)) continue;
    e.host_pid.store(0);
    e.parent.store(m_self);
    e.pgid.store(self_entry ? self_entry->pgid.load() : 1);
    e.sid.store(self_entry ? self_entry->sid.load() : 1);
    e.guest_pid.store(pid);
    return &e;
  }
  m_table->used.fetch_sub(1);
  return nullptr;
}

void Family::remove(FamilyEntry* e) {
  if (e == nullptr) return;
  e->host_pid.store(0);
  e->guest_pid.store(0);
  m_table->used.fetch_sub(1);
}

bool Family::has_child(int32_t pid) const {
  for (auto& e : m_table->entries) {
    int32_t g = e.guest_pid.load();
    if (g > 0 && e.parent.load() == m_self && (pid <= 0 || g == pid)) return true;
  }
  return false;
}

void Family::kill_all_others() const {
  for (auto& e : m_table->entries) {
    int32_t g = e.guest_pid.load();
    pid_t h = e.host_pid.load();
    if (g > 0 && g != m_self && h > 0) (void)kill(h, SIGKILL);
  }
}

}  // namespace shoal::vmm
