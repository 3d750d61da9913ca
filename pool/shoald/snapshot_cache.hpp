// SnapshotCache: per service, the snapshot its instances start from
// (issue 13; docs/architecture.md "Starting instances").
//
// A service with start = "snapshot" has one snapshot file: the spec's
// `snapshot`, or one shoald makes and keeps in its cache directory under a
// name derived from everything that makes a snapshot valid for an instance
// (the key): the image's bytes, the monitor's bytes (its build), memory, the
// channel's layout and services table, the environment and arguments, the
// ready point. A cached snapshot is reused by every later `shoal up` with the
// same key; a changed image or monitor gets a new name.
//
// The states of a service's snapshot:
//   none    nothing cached: the next start boots with --snapshot-out
//           (the maker), which goes on serving after the save;   -> making
//   making  the maker boots; other starts wait until the file appears (a
//           resume is cheaper than a boot), or, once the maker listens
//           without having saved, boot;                 -> ready | none | failed
//   ready   every start resumes from the file (or takes a warm monitor);
//           a resume that fails drops a cached file:            -> none | failed
//   failed  no snapshot this run (logged once): every start boots.
// A key gets at most kMaxAttempts tries per shoald run, so a snapshot that
// cannot be made or resumed never keeps a pool from starting.
//
// Everything runs on the event loop's thread.
#pragma once

#include <stdint.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <shoal/pool/spec/spec.hpp>

#include "event_loop.hpp"
#include "pool/channel/channel.hpp"
#include "shoal/base/result.hpp"
#include "start_kind.hpp"

namespace shoal::pool {

// Where shoald keeps the snapshots it makes: $XDG_CACHE_HOME/shoal/snapshots,
// else ~/.cache/shoal/snapshots (next to the CLI's image cache: derived files
// that may be deleted at any time).
std::string default_snapshot_dir();

class SnapshotCache {
 public:
  enum class State : uint8_t { none, making, ready, failed };
  static const char* to_string(State s);

  // What a start of a service does now.
  enum class Plan : uint8_t {
    boot,    // boot the image (start = "boot", or no snapshot this run)
    make,    // boot the image and save a snapshot at its ready point
    resume,  // resume the snapshot (or take a warm monitor)
    wait,    // a snapshot is being made: start nothing yet
  };

  // Called when a service's snapshot changes state (it became ready, or
  // starts stopped waiting for it): the supervisor reconciles and refills.
  using ChangeListener = std::function<void(uint32_t service)>;
  using Notice = std::function<void(const std::string& line)>;
  // Whether a file is a complete, valid snapshot (its header and tables
  // check out). The monitor writes the header last, so a file being written
  // fails this until the save is done. Default: check_snapshot_file.
  using FileCheck = std::function<Result<void>(const std::string& path)>;

  // `dir`: the cache directory (created 0700 if missing, refused if another
  // user could write it); "" = default_snapshot_dir(). `vmm_path`'s bytes
  // are part of every key.
  SnapshotCache(EventLoop& loop, std::string dir, std::string vmm_path, Notice notice, FileCheck check = {});
  ~SnapshotCache();
  SnapshotCache(const SnapshotCache&) = delete;
  SnapshotCache& operator=(const SnapshotCache&) = delete;

  void set_listener(ChangeListener listener) { m_listener = std::move(listener); }

  // Sets service `index` up. `where` names it in messages; `channel` is the
  // channel every instance of it gets. A service whose snapshot cannot be
  // cached boots (and says why once); an invalid cached file is removed (and
  // made again). Errors: only the spec's own `snapshot` file being invalid.
  Result<void> add(uint32_t index, const spec::Service& s, std::string where, const ChannelConfig& channel);

  Plan plan(uint32_t index) const;
  State state(uint32_t index) const;
  // The snapshot file of a service whose state is `making` or `ready`.
  const std::string& path(uint32_t index) const;
  // The key's hex digest (empty for a spec's file or start = "boot").
  const std::string& key(uint32_t index) const;

  // The instance `instance_id` was spawned to make the snapshot (Plan::make).
  void making(uint32_t index, uint64_t instance_id);
  // The maker listens on its port (it may save a moment later).
  void maker_ready(uint32_t index, uint64_t instance_id);
  // An instance of the service exited. `expected`: shoald stopped it.
  void instance_exited(uint32_t index, uint64_t instance_id, bool expected, const std::string& how);
  // A resumed instance (snapshot or warm) ended before it was ready: the
  // snapshot is not usable. `why` is the monitor's status and last words.
  void resume_failed(uint32_t index, const std::string& why);

  static constexpr uint32_t kMaxAttempts = 2;
  // How long after the maker listens its snapshot may take to appear before
  // other starts stop waiting for it and boot.
  static constexpr uint64_t kSaveGraceNs = 2'000'000'000ull;

 private:
  struct Entry {
    State state = State::failed;
    std::string where;
    std::string path;
    std::string key;
    bool from_spec = false;
    uint64_t maker = 0;
    uint64_t maker_ready_ns = 0;  // 0: not listening yet
    uint32_t attempts = 0;
    EventLoop::TimerId poll_timer = 0;
  };

  bool complete(const std::string& path) const;
  Entry* find(uint32_t index);
  const Entry* find(uint32_t index) const;
  void poll(uint32_t index);
  void set_state(uint32_t index, Entry& e, State s);
  void give_up_or_retry(uint32_t index, Entry& e, const std::string& why);

  EventLoop& m_loop;
  std::string m_dir;
  std::string m_vmm_path;
  Notice m_notice;
  FileCheck m_check;
  ChangeListener m_listener;
  std::string m_vmm_digest;  // computed once, for every key
  std::string m_dir_error;   // why the cache directory cannot be used ("" = fine)
  std::map<uint32_t, Entry> m_entries;
};

// The key of a snapshot for service `s` (exposed for tests): a hex digest of
// the image's and the monitor's bytes (given as digests) and of every setting
// that ends up fixed in the snapshot.
std::string snapshot_key(const spec::Service& s, const std::string& image_digest, const std::string& vmm_digest,
                         const ChannelConfig& channel);

// Reads and validates a snapshot's header and tables (image/snapshot.hpp):
// the default FileCheck.
Result<void> check_snapshot_file(const std::string& path);

// A spec's snapshot must hold a channel device of the size `channel` makes.
Result<void> check_channel_device(const std::string& path, const ChannelConfig& channel);

// XXH3-128 of a file's bytes, as 32 hex digits.
Result<std::string> file_digest(const std::string& path);

}  // namespace shoal::pool
