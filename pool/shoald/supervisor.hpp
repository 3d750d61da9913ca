// Supervisor: runs the instances of every service and is the Pool the
// gateway asks for them.
//
// Lifecycle of an instance (model.hpp's InstanceState):
//   queue: every start waits in one start queue, spawned a slice at a time
//          (supervisor_starts.cpp), its index already held;
//   spawn: a Channel (with the pool's services table), then shoal-vmm with
//          --channel, its stdout/stderr read into a LogRing and its exit
//          watched by pid (MonitorWatch: no descriptor per monitor)  -> starting
//   ready: the service port appears in the channel's listen table (checked
//          on channel events and by a sweep of a few starting instances
//          every ready_poll); it joins the balancer,
//          the gateway is told (on_capacity);                      -> ready
//   health: active probes (HTTP GET over a slot) and passive errors take
//          it out of the balancer and back;
//   drain: scale-down or shutdown; it leaves the balancer, and once no
//          request is in flight its slots are dropped and the monitor is
//          stopped: SIGTERM, which shoal-vmm forwards to the program (its
//          handler drains and exits, or the default action ends it), then
//          SIGKILL after the service's stop_timeout; a drain deadline
//          bounds the wait for requests;                          -> draining
//   exit:  every slot handler is told (on_instance_gone), the exit status
//          and the tail of stderr are kept for `shoal logs`, and if the
//          service still wants the instance it is restarted after an
//          exponential back-off.                                   -> exited
// The Instance object is destroyed once exited and no request holds it.
//
// Scaling: a 100 ms tick feeds each service's concurrency (in flight plus
// held requests) to its autoscaler and moves the instance count toward the
// decision; a service without autoscaling keeps its fixed count; `shoal
// scale` pins a count. A request for a service at zero starts an instance at
// once (activation) and the gateway holds it until on_capacity.
//
// Everything runs on the EventLoop's thread.
#pragma once

#include <stdint.h>

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <shoal/pool/policy/autoscaler.hpp>
#include <shoal/pool/policy/balancer.hpp>
#include <shoal/pool/policy/health.hpp>
#include <shoal/pool/policy/restart_backoff.hpp>
#include <shoal/pool/policy/retry_budget.hpp>
#include <shoal/pool/spec/spec.hpp>

#include "channel_hub.hpp"
#include "event_loop.hpp"
#include "instance_indexes.hpp"
#include "instance_runtime.hpp"
#include "model.hpp"
#include "monitor_watch.hpp"
#include "pool.hpp"
#include "pool_metrics.hpp"
#include "snapshot_cache.hpp"
#include "warm_pool.hpp"
#include "zygote_pool.hpp"

namespace shoal::pool {

using policy::Duration;

// How shoald runs the pool, as opposed to what the pool is (the spec, which
// the supervisor reads directly): set from shoald's command line, or by tests.
struct SupervisorConfig {
  std::string vmm_path;  // shoal-vmm
  uint32_t ring_size = abi::kDefaultRingSize;
  Duration tick = std::chrono::milliseconds(100);       // autoscaling and sampling period
  Duration ready_poll = std::chrono::milliseconds(2);   // readiness sweep while starting
  // Mass start (issue 13): starts wait in one queue and are spawned a slice
  // at a time, so the loop answers the control socket, the gateway and the
  // channels between slices however many instances are wanted at once.
  Duration start_slice = std::chrono::milliseconds(4);  // spawning per loop iteration, at most
  uint32_t max_starting = 512;      // instances spawned and not yet ready, at most (all services)
  uint32_t ready_sweep = 256;       // starting instances whose listen table one sweep reads
  uint32_t samples_per_second = 1000;  // /proc reads for per-instance CPU and memory
  Duration start_timeout = std::chrono::seconds(30);
  // How long a graceful stop waits for requests in flight; shoald sets it to
  // gateway.request_timeout + kDrainGrace.
  Duration drain_timeout = std::chrono::seconds(30);
  size_t exits_kept = 16;                  // exit records per service
  size_t report_lines = 40;                // stderr lines in a crash report
  bool verbose = false;                    // log instance events to stderr
  std::string snapshot_dir;                // "" = default_snapshot_dir()
  SnapshotCache::FileCheck snapshot_check; // empty = check_snapshot_file (tests give their fake's)
  // Snapshot starts fork from a template monitor per service (zygote_pool.hpp)
  // instead of spawning shoal-vmm; false (shoald --no-zygote): always spawn.
  bool zygotes = true;
};
inline constexpr Duration kDrainGrace = std::chrono::seconds(5);

class Supervisor final : public Pool, private ChannelHub::Owner {
 public:

  // Per service: the runtime state behind a Service.
  struct ServiceRuntime {
    const spec::Service& spec;  // its settings, read where used
    std::string where;          // "shop.toml:12: services.cart", for messages about it
    Service service;
    PoolMetrics::ServiceSeries* series = nullptr;
    std::unique_ptr<policy::Balancer> balancer;
    std::optional<policy::Autoscaler> autoscaler;
    policy::RetryBudget retry_budget;
    std::map<uint32_t, policy::RestartBackoff> backoff;    // by instance index
    std::map<uint32_t, EventLoop::TimerId> pending_restarts;  // index -> restart timer
    std::map<uint32_t, uint32_t> restarts_by_index;
    std::optional<uint32_t> pinned;  // `shoal scale N`
    InstanceIndexes indexes;         // held by queued starts, pending restarts, live instances
    uint32_t queued = 0;             // starts waiting in the supervisor's start queue
    // Instances by state (InstanceState's order), kept by set_state: the
    // counts a start, a tick or a status asks for without a scan.
    std::array<uint32_t, 4> by_state{};
    uint32_t waiting = 0;            // requests the gateway holds for it
    uint32_t desired = 0;
    uint64_t requests = 0;
    uint64_t restarts = 0;
    uint64_t sample_requests = 0;
    double rps = 0;
    bool capacity_notice_queued = false;
    bool renotifying = false;  // inside on_capacity: picks re-try held requests
    std::deque<ExitRecord> exits;

    ServiceRuntime(const spec::Spec& pool, const spec::Service& s)
        : spec(s), where(pool.where("services." + s.name)), retry_budget(pool.gateway.retry_budget) {}
  };

  // Reads `spec` (its services and gateway.retry_budget) for its whole life:
  // the spec outlives the supervisor.
  Supervisor(EventLoop& loop, const spec::Spec& spec, SupervisorConfig config, PoolMetrics& metrics);
  ~Supervisor() override;
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  void set_capacity_listener(CapacityListener* listener) { m_capacity = listener; }
  // The channels' events (guest connections for the gateway, slot events for
  // its connections): the supervisor registers instances there, nothing more.
  ChannelHub& channels() { return m_hub; }

  // Checks the monitor and images, starts each service's initial instances,
  // the tick and the channel hooks.
  Result<void> start();
  // Every service has at least its initial count ready.
  bool initial_ready() const;
  // Progress toward initial_ready(): instances ready (up to each service's
  // initial count), wanted, and starting now.
  struct Progress {
    uint32_t ready = 0, wanted = 0, starting = 0;
  };
  Progress initial_progress() const;
  // Graceful stop: no new requests (pick rejects), every instance drains;
  // `done` runs once all have exited (leftovers are killed after `timeout`).
  void shutdown(Duration timeout, std::function<void()> done);
  bool stopping() const { return m_stopping; }

  // Control API. Errors carry an HTTP status (Error::http_status()): 404
  // unknown service, 400 bad count, 409 the pool is stopping.
  Result<void> scale(const std::string& service, uint32_t instances);
  Result<void> scale_auto(const std::string& service);

  // Sets the metrics gauges from the current state (before a scrape).
  void update_gauges();

  const std::vector<std::unique_ptr<ServiceRuntime>>& services() const { return m_services; }
  ServiceRuntime* runtime(std::string_view name);
  uint64_t started_ns() const { return m_started_ns; }
  const SupervisorConfig& config() const { return m_config; }
  // Starting from snapshots (supervisor_start.cpp).
  const SnapshotCache& snapshots() const { return *m_snapshots; }
  size_t warm_count(const ServiceRuntime& rt) const { return m_warm->count(rt.service.index); }
  // Bounds the service is held to now (pinned, autoscaled or fixed).
  std::pair<uint32_t, uint32_t> bounds(const ServiceRuntime& rt) const;

  // Pool.
  Service* service(std::string_view name) override;
  Service* service_by_index(uint32_t index) override;
  Pick pick(Service& s, const RequestKey& key, const Instance* exclude = nullptr) override;
  void finish(Service& s, Instance& i, uint64_t latency_ns, int status, bool ok) override;
  void cancel(Service& s, Instance& i) override;
  void set_waiting(Service& s, uint32_t waiting) override;
  void record(Service& s, int status, uint64_t latency_ns) override;
  bool may_retry(Service& s) override;

 private:
  ServiceRuntime& rt_of(Service& s) { return *m_services[s.index]; }
  Instance* find_instance(uint64_t id);

  // Scaling (supervisor.cpp).
  void tick();
  void reconcile(ServiceRuntime& rt);
  uint32_t live_count(const ServiceRuntime& rt) const;  // starting + ready + pending restarts
  uint32_t ready_count(const ServiceRuntime& rt) const;
  // Starts (supervisor_starts.cpp): queued, spawned a slice at a time.
  void queue_start(ServiceRuntime& rt, uint32_t index);  // takes over one hold of index
  void cancel_queued_starts(ServiceRuntime& rt, uint32_t count);
  void pump_starts();
  void arm_start_pump();
  void sweep_ready();
  void set_state(Instance& i, InstanceState s);
  void activate(ServiceRuntime& rt);
  void sample_rates(uint64_t now);
  void sample_instances(uint64_t now);

  // Instances (supervisor_instances.cpp).
  Result<Instance*> spawn(ServiceRuntime& rt, uint32_t index);
  void spawn_or_log(ServiceRuntime& rt, uint32_t index);
  void on_output(Instance& i, LogStream stream, std::string_view bytes);

  // Starting a monitor (supervisor_start.cpp): a warm one, a resume, a boot
  // that makes the snapshot, or a plain boot, as the service's snapshot
  // state says.
  struct StartedMonitor {
    StartKind kind = StartKind::boot;
    bool makes_snapshot = false;
    MonitorProcess process;
    std::unique_ptr<Channel> channel;
    LogRing log;
  };
  Result<StartedMonitor> start_monitor(ServiceRuntime& rt, uint32_t index);
  bool start_waits_for_snapshot(const ServiceRuntime& rt) const;
  ChannelConfig channel_config(const ServiceRuntime& rt) const;
  MonitorLaunch boot_launch(const ServiceRuntime& rt, uint32_t index, const Channel& channel) const;
  MonitorLaunch resume_launch(const ServiceRuntime& rt, const Channel& channel) const;
  Result<void> setup_snapshots();
  void queue_warm_refill(ServiceRuntime& rt);
  void refill_warm(ServiceRuntime& rt);
  void on_snapshot_change(uint32_t service);
  // A service that starts at zero gets its snapshot before its first request:
  // a monitor boots, saves and exits (--snapshot-then exit); not an instance.
  void make_snapshot_ahead(ServiceRuntime& rt);
  // status: the maker's wait status, or -1 when it timed out (then it is killed).
  void end_snapshot_maker(uint32_t service, int status);
  void on_warm_death(uint32_t service, const std::string& how);
  // Template monitors (zygote_pool.hpp): one per service with a ready snapshot.
  void spawn_zygote(ServiceRuntime& rt);
  void on_zygote_death(uint32_t service, const std::string& how);
  Result<MonitorProcess> start_from_zygote(const ServiceRuntime& rt, const Channel& channel, int start_fd = -1);
  // An instance ended: what it means for its service's snapshot.
  void snapshot_exit(Instance& i, InstanceState was, bool expected, const std::string& how,
                     const std::string& last_err);
  void on_exit(Instance& i, int wait_status);
  void check_ready(Instance& i);
  void mark_ready(Instance& i);
  void drain(Instance& i, const char* reason);
  void maybe_finish_drain(Instance& i);
  void kill_instance(Instance& i, const char* reason);
  // Sends sig to the instance's monitor (a child not reaped yet: MonitorWatch).
  void send_signal(Instance& i, int sig);
  void detach_handlers(Instance& i);  // the hub's, then the health probe
  void release_instance_resources(Instance& i);
  void destroy_when_idle(Instance& i);
  void schedule_restart(ServiceRuntime& rt, uint32_t index, Duration delay);
  void queue_capacity_notice(ServiceRuntime& rt);
  void check_shutdown_done();
  void log(const std::string& line) const;     // with -v only: routine events
  void notice(const std::string& line) const;  // always: crashes, restarts, health changes

  // ChannelHub::Owner.
  void on_channel_starting(Instance& i) override { check_ready(i); }
  void on_slots_released(Instance& i) override;

  // Health (supervisor_health.cpp).
  void schedule_probe(Instance& i, Duration delay);
  void run_probe(uint64_t id);
  void probe_done(uint64_t id, bool ok, const std::string& why);
  void passive_result(Instance& i, bool ok);
  void update_membership(Instance& i);
  void end_cooldown(uint64_t id);

  EventLoop& m_loop;
  const spec::Spec& m_spec;
  SupervisorConfig m_config;
  PoolMetrics& m_metrics;
  CapacityListener* m_capacity = nullptr;
  std::vector<std::unique_ptr<ServiceRuntime>> m_services;
  std::unordered_map<uint64_t, Instance*> m_instances;  // live and exited, by id
  uint64_t m_next_id = 1;
  uint64_t m_started_ns = 0;
  uint64_t m_last_sample_ns = 0;
  EventLoop::TimerId m_tick_timer = 0;
  // The start queue (all services, first come first served) and its pump.
  std::deque<std::pair<ServiceRuntime*, uint32_t>> m_start_queue;
  EventLoop::TimerId m_start_timer = 0;
  uint32_t m_starting = 0;  // all services
  // Starting instances, swept for readiness a few at a time (a guest that
  // never kicks is still seen); exited or ready ones are dropped lazily.
  std::vector<uint64_t> m_starting_ids;
  size_t m_sweep_cursor = 0;
  EventLoop::TimerId m_sweep_timer = 0;
  // Per-instance /proc sampling, a few per tick: this pass's order.
  std::vector<uint64_t> m_sample_order;
  size_t m_sample_cursor = 0;
  uint64_t m_last_pass_ns = 0;
  bool m_stopping = false;
  std::function<void()> m_shutdown_done;
  EventLoop::TimerId m_shutdown_timer = 0;
  // Exits and console output of every monitor (declared before the warm
  // pool, which uses it, so that it outlives it).
  MonitorWatch m_watch;
  ChannelHub m_hub;
  std::unique_ptr<SnapshotCache> m_snapshots;
  std::unique_ptr<WarmPool> m_warm;
  std::unique_ptr<ZygotePool> m_zygotes;
  std::map<uint32_t, uint32_t> m_zygote_failures;  // by service: deaths in a row without a start
  struct SnapshotMaker {
    MonitorProcess process;
    std::unique_ptr<Channel> channel;
    LogRing log;
    EventLoop::TimerId deadline = 0;
  };
  std::map<uint32_t, SnapshotMaker> m_makers;  // by service index
  // Cleared by the destructor: callbacks scheduled earlier check it.
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace shoal::pool
