// The shoal side of bench/pool: a pool spec for the hello service, the pool
// started with `shoal up SPEC -d` and stopped with `shoal down`, and its
// Prometheus metrics read from the admin listener.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "shoal/base/result.hpp"

namespace shoal::bench::pool {

struct HelloPool {
  std::string dir;      // the spec, control socket and logs go here
  std::string image;    // hello.shoal (absolute path)
  uint16_t listen = 0;  // gateway on 127.0.0.1
  uint16_t admin = 0;   // metrics on 127.0.0.1
  int instances = 4;    // fixed: min = max = initial
  // Scale to zero instead: min 0, max 1, initial 0, idle after `idle`.
  bool scale_to_zero = false;
  std::string idle = "1s";
  // How instances start (docs/spec.md): "" = the spec's default (snapshot),
  // "snapshot" or "boot"; warm monitors kept (-1 = the default).
  std::string start;
  int warm = -1;
  std::string warm_up;  // warm_up path ("" = none)
  std::string memory = "32M";
  std::string balance = "round_robin";
  int warm_load = 0;  // `warm_load` key with balance = "warm_first"; 0: the default
};

// The TOML spec for `pool` (schema: docs/spec.md).
std::string hello_spec(const HelloPool& pool);

// A running pool. Destroying it runs `shoal down` (bounded); should that fail,
// shoald's process group (it runs in its own session) is killed by pid.
class RunningPool {
 public:
  // Writes the spec to DIR/NAME.toml and runs `shoal up SPEC -d -c DIR/control.sock`.
  static Result<RunningPool> up(const std::string& shoal_bin, const HelloPool& pool, const std::string& name,
                                int timeout_ms);
  RunningPool(RunningPool&& o) noexcept
      : m_shoal(std::move(o.m_shoal)), m_control(std::move(o.m_control)), m_pid(o.m_pid), m_up(o.m_up) {
    o.m_up = false;
  }
  RunningPool& operator=(RunningPool&&) = delete;
  ~RunningPool() { (void)down(); }

  Result<void> down();
  const std::string& control() const { return m_control; }

 private:
  RunningPool(std::string shoal, std::string control, pid_t pid)
      : m_shoal(std::move(shoal)), m_control(std::move(control)), m_pid(pid), m_up(true) {}
  std::string m_shoal, m_control;
  pid_t m_pid = -1;  // shoald, as `shoal up -d` reported it
  bool m_up = false;
};

// Sum of the samples of metric `name` whose labels include every one of
// `labels` (e.g. {"service=\"hello\"", "state=\"ready\""}) in the text
// exposition at 127.0.0.1:admin/metrics; nullopt if no such sample.
std::optional<double> metric(uint16_t admin, const std::string& name, std::initializer_list<std::string> labels);

}  // namespace shoal::bench::pool
