#include "snapshot_cache.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include <memory>

#include <shoal/image/snapshot.hpp>

#include "shoal/base/private_dir.hpp"

namespace shoal::pool {

namespace {

constexpr uint64_t kPollNs = 2'000'000;  // how often the maker's file is looked for

std::string hex128(XXH128_hash_t h) {
  char buf[33];
  snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
           static_cast<unsigned long long>(h.low64));
  return buf;
}

// Feeds length-prefixed fields, so that ("ab","c") and ("a","bc") differ.
class KeyHash {
 public:
  KeyHash() : m_state(XXH3_createState(), XXH3_freeState) { XXH3_128bits_reset(m_state.get()); }
  void add(std::string_view s) {
    add(static_cast<uint64_t>(s.size()));
    XXH3_128bits_update(m_state.get(), s.data(), s.size());
  }
  void add(uint64_t v) { XXH3_128bits_update(m_state.get(), &v, sizeof v); }
  std::string hex() const { return hex128(XXH3_128bits_digest(m_state.get())); }

 private:
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> m_state;
};

bool is_file(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

Result<void> check_snapshot_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(path);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return make_error(path + ": not a regular file");
  }
  auto snap = image::read_snapshot(fd, static_cast<uint64_t>(st.st_size));
  close(fd);
  if (!snap) return make_error(path + ": " + snap.error().message);
  return {};
}

const char* to_string(StartKind kind) {
  switch (kind) {
    case StartKind::boot: return "boot";
    case StartKind::snapshot: return "snapshot";
    case StartKind::warm: return "warm";
  }
  return "?";
}

const char* SnapshotCache::to_string(State s) {
  switch (s) {
    case State::none: return "none";
    case State::making: return "making";
    case State::ready: return "ready";
    case State::failed: return "failed";
  }
  return "?";
}

std::string default_snapshot_dir() {
  const char* xdg = getenv("XDG_CACHE_HOME");
  if (xdg && *xdg == '/') return std::string(xdg) + "/shoal/snapshots";
  const char* home = getenv("HOME");
  if (home && *home == '/') return std::string(home) + "/.cache/shoal/snapshots";
  return user_tmp_dir() + "/shoal-cache-" + std::to_string(getuid()) + "/snapshots";
}

Result<void> check_channel_device(const std::string& path, const ChannelConfig& channel) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(path);
  struct stat st;
  auto snap = fstat(fd, &st) == 0 ? image::read_snapshot(fd, static_cast<uint64_t>(st.st_size))
                                  : Result<image::Snapshot>(errno_error(path));
  close(fd);
  if (!snap) return make_error(path + ": " + snap.error().message);
  // A pool instance's channel region is part of the saved guest (its page
  // tables map it): the snapshot must have been made with one of this size.
  auto region = Channel::create(channel);
  if (!region) return region.error();
  for (const auto& d : snap->devices)
    if (image::fixed_string(d.name, sizeof d.name) == "channel") {
      if (d.size == region->region_size()) return {};
      return make_error(path + ": made with a channel of " + std::to_string(d.size >> 10) + " KiB, this pool's is " +
                        std::to_string(region->region_size() >> 10) + " KiB (channel_slots and the services table "
                        "must be the same)");
    }
  return make_error(path + ": made without the pool's channel (`shoal snapshot` makes one for `shoal run`): "
                    "give a snapshot from shoald's cache, or remove the key to let shoald make one");
}

Result<std::string> file_digest(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(path);
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> state(XXH3_createState(), XXH3_freeState);
  XXH3_128bits_reset(state.get());
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = errno_error(path);
      close(fd);
      return e;
    }
    if (n == 0) break;
    XXH3_128bits_update(state.get(), buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  return hex128(XXH3_128bits_digest(state.get()));
}

std::string snapshot_key(const spec::Service& s, const std::string& image_digest, const std::string& vmm_digest,
                         const ChannelConfig& channel) {
  KeyHash k;
  k.add(std::string_view("shoal snapshot key 1"));
  k.add(image_digest);
  k.add(vmm_digest);
  k.add(s.memory);
  // The channel's size and the services table are in guest memory (the
  // LibOS read them at boot); a resume must find the same.
  k.add(channel.slot_count);
  k.add(channel.ring_size);
  k.add(channel.services.size());
  for (const auto& e : channel.services) {
    k.add(e.name);
    k.add(e.ipv4);
  }
  // What shoald puts in the environment (supervisor_instances.cpp), then the
  // spec's: the environment and arguments are fixed in the snapshot.
  // SHOAL_INSTANCE is left out: every resumed instance keeps the maker's.
  k.add(s.name);
  k.add(s.port);
  k.add(s.env.size());
  for (const auto& [name, value] : s.env) {
    k.add(name);
    k.add(value);
  }
  k.add(s.args.size());
  for (const auto& a : s.args) k.add(a);
  k.add(s.ready);
  return k.hex();
}

SnapshotCache::SnapshotCache(EventLoop& loop, std::string dir, std::string vmm_path, Notice notice, FileCheck check)
    : m_loop(loop), m_dir(dir.empty() ? default_snapshot_dir() : std::move(dir)), m_vmm_path(std::move(vmm_path)),
      m_notice(std::move(notice)), m_check(check ? std::move(check) : FileCheck(check_snapshot_file)) {}

bool SnapshotCache::complete(const std::string& path) const { return is_file(path) && m_check(path).ok(); }

SnapshotCache::~SnapshotCache() {
  for (auto& [index, e] : m_entries)
    if (e.poll_timer) m_loop.cancel(e.poll_timer);
}

Result<void> SnapshotCache::add(uint32_t index, const spec::Service& s, std::string where,
                                const ChannelConfig& channel) {
  Entry& e = m_entries[index];
  e.where = std::move(where);
  if (s.start == spec::StartMode::boot) {
    e.state = State::failed;  // never used: plan() boots
    return {};
  }
  if (!s.snapshot_path.empty()) {
    e.from_spec = true;
    e.path = s.snapshot_path;
    e.state = State::ready;
    if (auto ok = m_check(e.path); !ok) return make_error(e.where + ".snapshot: " + ok.error().message);
    if (auto ok = check_channel_device(e.path, channel); !ok)
      return make_error(e.where + ".snapshot: " + ok.error().message);
    return {};
  }
  // The cache directory and the monitor's digest are looked at once, by the
  // first service that needs them.
  if (m_vmm_digest.empty() && m_dir_error.empty()) {
    if (auto dir = open_private_dir(m_dir, CreateDir::parents); !dir)
      m_dir_error = dir.error().message;
    else if (auto d = file_digest(m_vmm_path); !d)
      m_dir_error = d.error().message;
    else
      m_vmm_digest = d.value();
  }
  if (!m_dir_error.empty()) {
    m_notice(e.where + ": no snapshot cache (" + m_dir_error + "); its instances boot");
    e.state = State::failed;
    return {};
  }
  auto image = file_digest(s.image_path);
  if (!image) {
    m_notice(e.where + ": no snapshot (" + image.error().message + "); its instances boot");
    e.state = State::failed;
    return {};
  }
  e.key = snapshot_key(s, image.value(), m_vmm_digest, channel);
  e.path = m_dir + "/" + s.name + "-" + e.key + ".snap";
  e.state = State::none;
  if (!is_file(e.path)) return {};
  if (auto ok = m_check(e.path); !ok) {
    // Cut short by a crash or damaged on disk: made again by the first start.
    m_notice(e.where + ": the cached snapshot is not valid (" + ok.error().message +
             "); removing it, the first instance boots and makes a new one");
    unlink(e.path.c_str());
    return {};
  }
  e.state = State::ready;
  return {};
}

SnapshotCache::Entry* SnapshotCache::find(uint32_t index) {
  auto it = m_entries.find(index);
  return it == m_entries.end() ? nullptr : &it->second;
}

const SnapshotCache::Entry* SnapshotCache::find(uint32_t index) const {
  auto it = m_entries.find(index);
  return it == m_entries.end() ? nullptr : &it->second;
}

SnapshotCache::Plan SnapshotCache::plan(uint32_t index) const {
  const Entry* e = find(index);
  if (!e) return Plan::boot;
  switch (e->state) {
    case State::none: return Plan::make;
    // The maker listens before it saves (the ready point is the first block
    // in accept after listen), so a start that comes between the two waits
    // for the file; poll() gives up kSaveGraceNs after the listen, and the
    // waiting starts then boot.
    case State::making: return Plan::wait;
    case State::ready: return Plan::resume;
    case State::failed: return Plan::boot;
  }
  return Plan::boot;
}

SnapshotCache::State SnapshotCache::state(uint32_t index) const {
  const Entry* e = find(index);
  return e ? e->state : State::failed;
}

const std::string& SnapshotCache::path(uint32_t index) const {
  static const std::string none;
  const Entry* e = find(index);
  return e ? e->path : none;
}

const std::string& SnapshotCache::key(uint32_t index) const {
  static const std::string none;
  const Entry* e = find(index);
  return e ? e->key : none;
}

void SnapshotCache::set_state(uint32_t index, Entry& e, State s) {
  if (e.poll_timer) m_loop.cancel(e.poll_timer);
  e.poll_timer = 0;
  if (s != State::making) e.maker = 0, e.maker_ready_ns = 0;
  e.state = s;
  if (m_listener) {
    // Deferred: the caller is inside the supervisor's own bookkeeping.
    ChangeListener listener = m_listener;
    m_loop.defer([listener, index] { listener(index); });
  }
}

void SnapshotCache::making(uint32_t index, uint64_t instance_id) {
  Entry* e = find(index);
  if (!e || e->state != State::none) return;
  ++e->attempts;
  set_state(index, *e, State::making);
  e->maker = instance_id;
  // A stale temporary or a half-written file from a crashed run is not ours
  // to trust: the monitor writes FILE.tmp and renames, so FILE is complete.
  e->poll_timer = m_loop.after(kPollNs, [this, index] { poll(index); });
}

void SnapshotCache::maker_ready(uint32_t index, uint64_t instance_id) {
  Entry* e = find(index);
  if (!e || e->state != State::making || e->maker != instance_id) return;
  e->maker_ready_ns = EventLoop::now_ns();  // from now on poll() counts kSaveGraceNs
}

void SnapshotCache::poll(uint32_t index) {
  Entry* e = find(index);
  if (!e) return;
  e->poll_timer = 0;
  if (e->state != State::making) return;
  if (complete(e->path)) {
    set_state(index, *e, State::ready);
    return;
  }
  if (e->maker_ready_ns && EventLoop::now_ns() - e->maker_ready_ns > kSaveGraceNs) {
    // The maker serves but did not save: its ready point is never reached
    // (another port, a program that never blocks), or the save failed (the
    // monitor said why on its stderr, in `shoal logs`).
    m_notice(e->where + ": no snapshot " + std::to_string(kSaveGraceNs / 1'000'000'000ull) +
             " s after its first instance listened (ready point " + "not reached, or the save failed: see shoal "
             "logs); its instances boot");
    e->attempts = kMaxAttempts;
    set_state(index, *e, State::failed);
    return;
  }
  e->poll_timer = m_loop.after(kPollNs, [this, index] { poll(index); });
}

void SnapshotCache::give_up_or_retry(uint32_t index, Entry& e, const std::string& why) {
  if (e.from_spec || e.attempts >= kMaxAttempts) {
    m_notice(e.where + ": " + why + "; its instances boot from now on");
    set_state(index, e, State::failed);
  } else {
    m_notice(e.where + ": " + why + "; the next instance boots and makes a new snapshot");
    set_state(index, e, State::none);
  }
}

void SnapshotCache::instance_exited(uint32_t index, uint64_t instance_id, bool expected, const std::string& how) {
  Entry* e = find(index);
  if (!e || e->state != State::making || e->maker != instance_id) return;
  if (complete(e->path)) {  // saved just before it ended
    set_state(index, *e, State::ready);
    return;
  }
  if (expected) {
    // Stopped by shoald (scale-down, shutdown) before its ready point: not
    // the snapshot's fault; the next start tries again.
    --e->attempts;
    set_state(index, *e, State::none);
    return;
  }
  give_up_or_retry(index, *e, "its first instance ended (" + how + ") before it saved a snapshot");
}

void SnapshotCache::resume_failed(uint32_t index, const std::string& why) {
  Entry* e = find(index);
  if (!e || e->state != State::ready) return;
  if (!e->from_spec) {
    // A cached file that does not resume (corrupted, truncated, from an
    // incompatible monitor that kept the name) is removed and made again.
    if (unlink(e->path.c_str()) != 0 && errno != ENOENT)
      m_notice(e->where + ": cannot remove " + e->path + ": " + strerror(errno));
  }
  give_up_or_retry(index, *e, "cannot start from " + e->path + " (" + why + ")");
}

}  // namespace shoal::pool
