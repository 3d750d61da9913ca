// The pool spec: one TOML file declaring the gateway, the services and the
// routes of a pool, read into plain validated structs (see docs/spec.md for
// the file format, every key, its default and its bounds).
//
// Reading is a trust boundary: the file is user input. parse_spec() never
// throws and never stops at the first problem: it returns every error, each
// naming the file, the line and the key path, e.g.
//   shop.toml:14: services.cart.max_instances: must be >= min_instances (2)
// Unknown keys are errors, so a misspelt key cannot pass silently.
//
// These structs are the one model of a pool: shoald's supervisor and gateway
// read them directly (by reference, for as long as they run), nothing copies
// them field by field. Each default is written once, as the default member
// initializer below. Each key is described once, as one entry of the key
// tables in pool/spec/src/spec_keys.cpp (name, member, type, bounds, one-line
// meaning): parse_spec() reads the file through those entries and the key
// tables of docs/spec.md are rendered from them (`cmake --build build
// --target spec-doc`; the spec.KeyTables test fails when they differ). A new
// setting is one member here and one entry there.
//
// Layering: pool/policy (balancers, admission, health, back-off, retry budget,
// autoscaler) is the lower layer and knows nothing of the spec; the spec
// embeds policy's config structs where a policy is configured as a whole
// (autoscale, health, restart, retry_budget). Every configured duration in
// pool/ is a policy::Duration (std::chrono::nanoseconds); only instants and
// measured latencies on the event loop's clock stay integer nanoseconds
// (EventLoop::now_ns()).
#pragma once

#include <stdint.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <shoal/base/result.hpp>
#include <shoal/pool/policy/autoscaler.hpp>
#include <shoal/pool/policy/balance_kind.hpp>
#include <shoal/pool/policy/health.hpp>
#include <shoal/pool/policy/restart_backoff.hpp>
#include <shoal/pool/policy/retry_budget.hpp>
#include <shoal/pool/policy/time.hpp>

namespace shoal::pool::spec {

using policy::Duration;

// "host:port": an IPv4 address, "localhost" or a bracketed IPv6 address.
struct Endpoint {
  std::string host;  // without brackets
  uint16_t port = 0;

  bool operator==(const Endpoint&) const = default;
};

struct Gateway {
  Endpoint listen{"127.0.0.1", 8080};
  std::optional<Endpoint> admin;  // Prometheus /metrics; none by default
  std::string control;            // control socket path (always set: a default is derived)
  uint64_t max_header_bytes = 16 << 10;
  uint64_t max_body_bytes = 8 << 20;
  Duration header_timeout = std::chrono::seconds(10);
  Duration body_timeout = std::chrono::seconds(30);
  Duration idle_timeout = std::chrono::seconds(60);
  Duration request_timeout = std::chrono::seconds(30);
  Duration hold_timeout = std::chrono::seconds(10);  // a request held during a cold start waits at most this
  uint32_t max_held = 1024;                          // requests held while a service scales from zero
  // Client connections open at once; 0 = derived from shoald's descriptor
  // limit (RLIMIT_NOFILE, raised to its hard limit at start) minus a reserve
  // for the instances and the control sockets. At the limit the gateway
  // closes its oldest idle keep-alive connection, or stops accepting until
  // one closes.
  uint32_t max_connections = 0;
  policy::RetryBudgetConfig retry_budget;
};

inline constexpr uint32_t kDefaultChannelSlots = 256;
inline constexpr uint32_t kMinChannelSlots = 2;
inline constexpr uint32_t kMaxChannelSlots = 256;  // abi::kMaxChannelSlots

struct HealthCheck {
  std::string path;  // "/healthz"
  policy::ActiveHealthConfig config;
};

// How shoald starts a service's instances (docs/spec.md "Starting from a
// snapshot"): from a snapshot of an instance saved at its ready point
// (the default), or by booting the image every time.
enum class StartMode : uint8_t { snapshot, boot };
std::string_view start_mode_name(StartMode mode);

inline constexpr uint32_t kMaxWarm = 64;

struct Service {
  std::string name;
  std::string image;   // as written
  std::string image_path;  // resolved against the spec file's directory; load_spec makes it absolute
  uint16_t port = 8080;
  uint64_t memory = 0;  // bytes; 0 = the image's default
  uint32_t min_instances = 1;
  uint32_t max_instances = 10;
  uint32_t initial_instances = 1;
  policy::BalanceKind balance = policy::BalanceKind::round_robin;
  policy::HashKey hash_key;
  // `warm_first`: requests in flight on an instance (x weight) before the next
  // instance is woken.
  uint32_t warm_load = 8;
  uint32_t weight = 1;
  uint32_t max_concurrency = 0;  // per instance; 0 = unlimited
  uint32_t queue = 128;          // requests queued at most when every instance is at max_concurrency
  Duration queue_timeout = std::chrono::seconds(5);
  // Stopping an instance (scale-down, `shoal down`, a restart): SIGTERM to
  // the program, then SIGKILL if it still runs after this long.
  Duration stop_timeout = std::chrono::seconds(5);
  // Slots of each instance's channel: half carry the gateway's requests (so
  // at most channel_slots / 2 requests run on one instance at once, fewer
  // with max_concurrency; the rest wait in the queue), half the instance's
  // own connections to other services.
  uint32_t channel_slots = kDefaultChannelSlots;
  // Guest memory mergeable by the host's KSM (shoal-vmm --ksm).
  bool ksm = false;
  std::optional<HealthCheck> health;  // active checks; none = readiness only
  policy::PassiveHealthConfig passive_health;
  // Absent: a fixed count (initial_instances; `shoal scale` changes it).
  // Present: the autoscaler's config, min/max/initial copied in.
  std::optional<policy::AutoscaleConfig> autoscale;
  policy::RestartBackoffConfig restart;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // sorted by name
  StartMode start = StartMode::snapshot;
  // A snapshot file to start from instead of making one (start = "snapshot"
  // only): as written, and resolved like the image (load_spec makes it
  // absolute and checks it exists). Empty: shoald makes and caches one.
  std::string snapshot;
  std::string snapshot_path;
  // Monitors kept started and waiting per service (start = "snapshot"
  // only), so that a start costs a write to a pipe. 0 with start = "boot".
  uint32_t warm = 1;
  // A path each warm monitor is sent (GET, over its channel) before it is
  // taken: the monitor resumes at once and its guest touches the request
  // path's pages while it waits. Empty: warm monitors wait unresumed.
  std::string warm_up;
  // The snapshot's ready point, as shoal-vmm's --ready takes it: "listen"
  // or "port:N". parse_spec sets it to "port:<port>" when not given.
  std::string ready;
  // Read and kept, but the gateway does not consult it: a route's own
  // `retryable` decides (docs/spec.md).
  bool retryable = false;
};

enum class RouteKind : uint8_t { service, pipeline, fanout, scatter };
std::string_view route_kind_name(RouteKind kind);

struct Route {
  std::optional<std::string> host;  // lower case; none = any host
  std::string path = "/";           // prefix
  RouteKind kind = RouteKind::service;
  std::vector<std::string> services;  // one for service and scatter; the stages or branches otherwise
  bool strip_prefix = false;
  std::optional<bool> retryable;  // none = false (the gateway reads value_or(false))
  std::optional<Duration> timeout;  // none = gateway.request_timeout
  uint32_t line = 0;                // where the route is declared
};

struct Spec {
  std::string file;  // as given to parse_spec()
  std::string name;  // the pool's name
  Gateway gateway;
  std::vector<Service> services;  // sorted by name
  std::vector<Route> routes;      // in file order (the gateway matches most specific first)

  const Service* find_service(std::string_view name) const;
  // Line of a key path such as "services.cart.image" (0 if not in the file),
  // so later errors (an image that fails to boot) can name file and line.
  uint32_t line_of(std::string_view key) const;
  // "shop.toml:14: services.cart.image" (or "shop.toml: key" without a line).
  std::string where(std::string_view key) const;

  std::map<std::string, uint32_t, std::less<>> lines;  // key path -> line
};

struct SpecError {
  std::string file;
  uint32_t line = 0;    // 0 = unknown
  uint32_t column = 0;  // 0 = unknown; set for TOML syntax errors
  std::string key;      // key path; empty for syntax errors
  std::string message;

  // "file:line: key: message", "file:line:column: message" for syntax errors.
  std::string text() const;
};

// What parse_spec() reads from outside the file, so that it stays pure.
struct SpecEnvironment {
  std::string runtime_dir;  // $XDG_RUNTIME_DIR ("" if unset)
  uint32_t uid = 0;
  std::string tmp_dir = "/tmp";  // $TMPDIR when absolute
};

struct SpecParse {
  std::optional<Spec> spec;  // set iff errors is empty
  std::vector<SpecError> errors;  // sorted by line
};

// Parses and validates. `file` names the file in errors, gives the default pool
// name (its stem) and the directory relative image and control paths start from.
SpecParse parse_spec(std::string_view text, std::string_view file, const SpecEnvironment& env);

// Reads `path` (at most kMaxSpecBytes), parses it with the real environment,
// and checks that every image exists. The error lists every problem, one per line.
Result<Spec> load_spec(const std::string& path);

inline constexpr size_t kMaxSpecBytes = 1 << 20;

// The control socket when the spec names none:
// $XDG_RUNTIME_DIR/shoal/<name>.sock, else $TMPDIR/shoal-<uid>/<name>.sock
// (TMPDIR: /tmp unless set): the CLI's runtime directory (user_runtime_dir in
// <shoal/base/private_dir.hpp>), which shoald creates and checks.
std::string default_control_path(std::string_view pool_name, const SpecEnvironment& env);

std::string format_errors(const std::vector<SpecError>& errors);  // one per line

}  // namespace shoal::pool::spec
