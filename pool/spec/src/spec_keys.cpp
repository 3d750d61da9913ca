// Every key of the spec file, one entry each (key_table.hpp): the tables
// parse_spec() reads with and docs/spec.md is rendered from. Within a table,
// entries run in reading order: a check against another key (timeout <=
// interval) comes after that key's entry.
#include "spec_keys.hpp"

#include <algorithm>
#include <set>

#include <shoal/abi/layout.h>

#include "unicode_shield.hpp"

namespace shoal::pool::spec {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kMaxInstances = 10000;
constexpr size_t kMaxServices = 1000;
constexpr size_t kMaxRoutes = 10000;
constexpr size_t kMaxListItems = 256;  // args, env, pipeline/fanout stages
constexpr Duration kMaxTimeout = 24h;

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }
std::string indexed(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

bool is_env_name(std::string_view name) {
  if (name.empty() || name.size() > 256 || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// A host name as a route matches it: letters, digits, '-' and '.', optionally
// ":port"; lower-cased (Host matching is case-insensitive).
std::optional<std::string> normalize_host(std::string_view host) {
  if (host.empty() || host.size() > 260) return std::nullopt;
  std::string out;
  size_t colon = host.find(':');
  std::string_view name = host.substr(0, colon);
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.front() == '-') return std::nullopt;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return std::nullopt;
    out += c;
  }
  if (colon != std::string_view::npos) {
    std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5) return std::nullopt;
    uint32_t p = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      p = p * 10 + static_cast<uint32_t>(c - '0');
    }
    if (p < 1 || p > 65535) return std::nullopt;
    out += ':';
    out += port;
  }
  return out;
}

// A path prefix: starts with '/', visible ASCII only (no spaces, controls or
// bytes above 0x7e: a request target arrives percent-encoded).
bool valid_path(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.size() > 1024) return false;
  for (char c : path)
    if (c <= ' ' || c > '~') return false;
  return true;
}

std::string resolve(const std::filesystem::path& base_dir, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p.lexically_normal().string();
  return (base_dir / p).lexically_normal().string();
}

// ---- [gateway] -------------------------------------------------------------

const Keys<policy::RetryBudgetConfig>& retry_budget_keys() {
  using C = policy::RetryBudgetConfig;
  static const Keys<C> keys = {
      number_key<C>("ratio", [](C& c) -> auto& { return c.ratio; }, 0, 10, {}),
      number_key<C>("min_per_second", [](C& c) -> auto& { return c.min_per_second; }, 0, 1e6, {}),
      duration_key<C>("window", [](C& c) -> auto& { return c.window; }, 1s, 1h, {}),
  };
  return keys;
}

std::optional<Endpoint> read_endpoint(TableReader& t, std::string_view key) {
  auto text = t.string(key, 256);
  if (!text) return std::nullopt;
  auto e = parse_endpoint(*text);
  if (!e) {
    t.error(key, e.error().message);
    return std::nullopt;
  }
  return *e;
}

const Keys<Gateway>& gateway_keys() {
  using G = Gateway;
  static const Keys<G> keys = {
      custom_key<G>("listen", "address", "`\"127.0.0.1:8080\"`", "", "where clients connect (HTTP/1.1)",
                    [](ReadContext&, TableReader& t, G& g) {
                      if (auto e = read_endpoint(t, "listen")) g.listen = *e;
                    }),
      custom_key<G>("admin", "address", "none (off)", "must differ from `listen`", "Prometheus metrics at `/metrics`",
                    [](ReadContext&, TableReader& t, G& g) {
                      if (auto e = read_endpoint(t, "admin")) g.admin = *e;
                      if (g.admin && *g.admin == g.listen) t.error("admin", "must differ from listen");
                    }),
      custom_key<G>(
          "control", "path",
          "`$XDG_RUNTIME_DIR/shoal/NAME.sock`, else `$TMPDIR/shoal-UID/NAME.sock` (`/tmp/shoal-UID/NAME.sock`)",
          "at most 107 bytes",
          "the control API's Unix socket (`shoal ps/logs/scale/down`); a relative path is relative to the spec "
          "file's directory; shoald creates its directory (0700) and refuses one that is a link, another user's or "
          "writable by others ([security.md](security.md#local-files))",
          [](ReadContext& ctx, TableReader& t, G& g) {
            auto control = t.string("control");
            if (!control) return;
            std::string path = resolve(ctx.base_dir, *control);
            if (control->empty())
              t.error("control", "must not be empty");
            else if (path.size() > kMaxSocketPath)
              t.error("control", "must be at most " + std::to_string(kMaxSocketPath) + " bytes (a Unix socket path)");
            else
              g.control = path;
          }),
      size_key<G>("max_header_bytes", [](G& g) -> auto& { return g.max_header_bytes; }, 1 << 10, 1 << 20,
                  {.meaning = "request line + headers; larger: 431"}),
      size_key<G>("max_body_bytes", [](G& g) -> auto& { return g.max_body_bytes; }, 0, 1ull << 30,
                  {.meaning = "request body; larger: 413"}),
      duration_key<G>("header_timeout", [](G& g) -> auto& { return g.header_timeout; }, 1ms, kMaxTimeout,
                      {.meaning = "to receive the whole head of a request"}),
      duration_key<G>("body_timeout", [](G& g) -> auto& { return g.body_timeout; }, 1ms, kMaxTimeout,
                      {.meaning = "to receive the body"}),
      duration_key<G>("idle_timeout", [](G& g) -> auto& { return g.idle_timeout; }, 1ms, kMaxTimeout,
                      {.meaning = "a keep-alive connection with no request"}),
      duration_key<G>("request_timeout", [](G& g) -> auto& { return g.request_timeout; }, 1ms, kMaxTimeout,
                      {.meaning = "from the request received to the response complete (504 after)"}),
      duration_key<G>("hold_timeout", [](G& g) -> auto& { return g.hold_timeout; }, 1ms, kMaxTimeout,
                      {.meaning = "how long a request waits for a service scaling up from zero (503 after)"}),
      integer_key<G>("max_held", [](G& g) -> auto& { return g.max_held; }, 0, 1000000,
                     {.meaning = "requests held at once while services scale up from zero; more: 503"}),
      integer_key<G>("max_connections", [](G& g) -> auto& { return g.max_connections; }, 0, 10000000,
                     {.meaning = "client connections open at once. At the limit the gateway closes its longest-idle "
                                 "keep-alive connection to take a new one (a new connection that has sent nothing yet is "
                                 "spared for 500 ms); when none is idle it stops accepting (new "
                                 "connections wait in the listen backlog) and serves those it has, until one ends. "
                                 "shoald raises its `RLIMIT_NOFILE` to the hard limit at start (and logs it)",
                      .default_text = "`0`: shoald's descriptor limit minus 1024 (at least 64)"}),
      custom_key<G>("retry_budget", "table", "see below", "", "limits retries on other instances",
                    [](ReadContext& ctx, TableReader& t, G& g) {
                      if (auto rb = t.table("retry_budget")) {
                        read_keys(retry_budget_keys(), ctx, *rb, g.retry_budget);
                        rb->finish();
                      }
                    }),
  };
  return keys;
}

// ---- [services.NAME] -------------------------------------------------------

const Keys<HealthCheck>& health_keys() {
  using H = HealthCheck;
  static const Keys<H> keys = {
      custom_key<H>("path", "string", "**required**", "starts with `/`, no spaces or control characters",
                    "the URL path to probe", [](ReadContext&, TableReader& t, H& h) {
                      auto path = t.string("path", 1024);
                      if (path && !valid_path(*path))
                        t.error("path", "must start with '/' and hold no spaces or control characters");
                      else if (!path && !t.has("path"))
                        t.error("path", "is required (the URL path to probe, e.g. \"/healthz\")");
                      else if (path)
                        h.path = *path;
                    }),
      duration_key<H>("interval", [](H& h) -> auto& { return h.config.interval; }, 10ms, 1h, {}),
      duration_key<H>("timeout", [](H& h) -> auto& { return h.config.timeout; }, 1ms, 1h,
                      {.bounds = "<= `interval`"},
                      [](const H& h, Duration v) -> std::optional<std::string> {
                        if (v > h.config.interval)
                          return "must be <= interval (" + format_duration(h.config.interval) + ")";
                        return std::nullopt;
                      }),
      integer_key<H>("rise", [](H& h) -> auto& { return h.config.rise; }, 1, 100, {}),
      integer_key<H>("fall", [](H& h) -> auto& { return h.config.fall; }, 1, 100, {}),
  };
  return keys;
}

const Keys<policy::PassiveHealthConfig>& passive_health_keys() {
  using P = policy::PassiveHealthConfig;
  static const Keys<P> keys = {
      integer_key<P>("errors", [](P& p) -> auto& { return p.max_errors; }, 0, 1000, {}),
      duration_key<P>("cooldown", [](P& p) -> auto& { return p.cooldown; }, 1ms, 1h, {}),
  };
  return keys;
}

const Keys<policy::AutoscaleConfig>& autoscale_keys() {
  using A = policy::AutoscaleConfig;
  static const Keys<A> keys = {
      number_key<A>("target", [](A& a) -> auto& { return a.target; }, 0.01, 1e6,
                    {.meaning = "concurrent requests per instance"}),
      duration_key<A>("stable_window", [](A& a) -> auto& { return a.stable_window; }, 1s, 1h, {}),
      duration_key<A>("panic_window", [](A& a) -> auto& { return a.panic_window; }, 100ms, 1h,
                      {.bounds = "<= `stable_window`"},
                      [](const A& a, Duration v) -> std::optional<std::string> {
                        if (v > a.stable_window)
                          return "must be <= stable_window (" + format_duration(a.stable_window) + ")";
                        return std::nullopt;
                      }),
      number_key<A>("panic_threshold", [](A& a) -> auto& { return a.panic_threshold; }, 1, 100, {}),
      duration_key<A>("scale_to_zero_after", [](A& a) -> auto& { return a.scale_to_zero_after; }, 100ms, 24h, {}),
      // Rates of 1 would forbid scaling in that direction entirely.
      number_key<A>("max_scale_up_rate", [](A& a) -> auto& { return a.max_scale_up_rate; }, 1.01, 1e6, {}),
      number_key<A>("max_scale_down_rate", [](A& a) -> auto& { return a.max_scale_down_rate; }, 1.01, 1e6, {}),
  };
  return keys;
}

const Keys<policy::RestartBackoffConfig>& restart_keys() {
  using R = policy::RestartBackoffConfig;
  static const Keys<R> keys = {
      duration_key<R>("initial", [](R& r) -> auto& { return r.initial; }, 1ms, 1h, {}),
      duration_key<R>("max", [](R& r) -> auto& { return r.max; }, 1ms, 24h, {.bounds = ">= `initial`"},
                      [](const R& r, Duration v) -> std::optional<std::string> {
                        if (v < r.initial) return "must be >= initial (" + format_duration(r.initial) + ")";
                        return std::nullopt;
                      }),
      number_key<R>("factor", [](R& r) -> auto& { return r.factor; }, 1, 100, {}),
      duration_key<R>("reset_after", [](R& r) -> auto& { return r.reset_after; }, 1ms, 24h, {}),
  };
  return keys;
}

// A sub-table read into a fresh struct of its own keys.
template <class C>
std::optional<C> read_sub_table(ReadContext& ctx, TableReader& t, std::string_view key, const Keys<C>& keys,
                                C initial = {}) {
  auto sub = t.table(key);
  if (!sub) return std::nullopt;
  read_keys(keys, ctx, *sub, initial);
  sub->finish();
  return initial;
}

// A string that must be at most 4096 bytes without NUL (args, env values).
bool valid_item(const std::string& value) { return value.find('\0') == std::string::npos && value.size() <= 4096; }

void read_args(ReadContext& ctx, TableReader& t, Service& s) {
  const toml::array* args = t.array("args");
  if (!args) return;
  if (args->size() > kMaxListItems) {
    t.error("args", "has more than " + std::to_string(kMaxListItems) + " arguments");
    return;
  }
  for (size_t i = 0; i < args->size(); ++i) {
    const toml::node& node = *args->get(i);
    std::string path = indexed(t.key_path("args"), i);
    const auto* str = node.as_string();
    std::string value = str ? unshield(str->get()) : std::string();
    if (!str)
      ctx.diag.error(node.source().begin.line, path, "must be a string, not " + describe_type(node));
    else if (!valid_item(value))
      ctx.diag.error(node.source().begin.line, path, "must be at most 4096 bytes without NUL characters");
    else
      s.args.push_back(std::move(value));
  }
}

void read_env(ReadContext& ctx, TableReader& t, Service& s) {
  auto env = t.table("env");
  if (!env) return;
  const toml::table* table = t.get("env")->as_table();
  if (table->size() > kMaxListItems) {
    t.error("env", "has more than " + std::to_string(kMaxListItems) + " variables");
    return;
  }
  for (const auto& [key, node] : *table) {
    std::string name = unshield(key.str());
    std::string path = env->key_path(name);
    uint32_t line = key.source().begin.line;
    const auto* str = node.as_string();
    std::string value = str ? unshield(str->get()) : std::string();
    if (!is_env_name(name))
      ctx.diag.error(line, path, "variable names are [A-Za-z_][A-Za-z0-9_]*");
    else if (!str)
      ctx.diag.error(line, path, "must be a string, not " + describe_type(node));
    else if (!valid_item(value))
      ctx.diag.error(line, path, "must be at most 4096 bytes without NUL characters");
    else
      s.env.emplace_back(name, std::move(value));
  }
}

const Keys<Service>& service_keys() {
  using S = Service;
  static const Keys<S> keys = {
      custom_key<S>("image", "string", "**required**", "not empty",
                    "the `.shoal` image; relative to the spec file's directory. `shoal up` checks it exists.",
                    [](ReadContext& ctx, TableReader& t, S& s) {
                      if (auto image = t.string("image")) {
                        if (image->empty()) {
                          t.error("image", "must not be empty");
                        } else {
                          s.image = *image;
                          s.image_path = resolve(ctx.base_dir, *image);
                        }
                      } else if (!t.has("image")) {
                        t.error("image", "is required (the service's .shoal image)");
                      }
                    }),
      integer_key<S>("port", [](S& s) -> auto& { return s.port; }, 1, 65535,
                     {.meaning = "the port the service listens on inside its instances (readiness = listening on it)"}),
      size_key<S>("memory", [](S& s) -> auto& { return s.memory; }, abi::kMinMemory, abi::kMaxMemory,
                  {.meaning = "guest memory per instance",
                   .default_text = "the image's default",
                   .bounds = "a multiple of 2M"},
                  [](const S&, uint64_t v) -> std::optional<std::string> {
                    if (v % abi::kLargePageSize != 0) return "must be a multiple of 2M";
                    return std::nullopt;
                  }),
      integer_key<S>("min_instances", [](S& s) -> auto& { return s.min_instances; }, 0, kMaxInstances,
                     {.meaning = "`0` needs `autoscale` (scale to zero)"}),
      integer_key<S>("max_instances", [](S& s) -> auto& { return s.max_instances; }, 1, kMaxInstances,
                     {.default_text = "`max(10, min_instances)`", .bounds = ">= `min_instances`"}),
      // Also derives the defaults of max_instances and initial from
      // min_instances, then checks the three bounds against each other.
      custom_key<S>("initial", "integer", "`min_instances`", "between `min_instances` and `max_instances`",
                    "instances started with the pool", [](ReadContext& ctx, TableReader& t, S& s) {
                      auto initial = t.integer("initial", 0, kMaxInstances);
                      if (initial) s.initial_instances = static_cast<uint32_t>(*initial);
                      auto valid = [&](std::string_view key) { return ctx.was_applied(t, key) || !t.has(key); };
                      bool bounds_ok = valid("min_instances") && valid("max_instances") && (initial || !t.has("initial"));
                      if (!ctx.was_applied(t, "max_instances")) s.max_instances = std::max<uint32_t>(10, s.min_instances);
                      if (!initial) s.initial_instances = s.min_instances;
                      if (!bounds_ok) return;
                      if (s.max_instances < s.min_instances) {
                        t.error("max_instances", "must be >= min_instances (" + std::to_string(s.min_instances) + ")");
                      } else if (s.initial_instances < s.min_instances || s.initial_instances > s.max_instances) {
                        t.error("initial", "must be between min_instances (" + std::to_string(s.min_instances) +
                                               ") and max_instances (" + std::to_string(s.max_instances) + ")");
                      }
                    }),
      custom_key<S>("balance", "string", "`\"round_robin\"`", "see *Balancing*",
                    "how requests are spread over instances", [](ReadContext&, TableReader& t, S& s) {
                      auto balance = t.string("balance", 64);
                      if (!balance) return;
                      if (auto kind = policy::parse_balance_kind(*balance))
                        s.balance = *kind;
                      else
                        t.error("balance", "unknown policy " + quote(*balance) + " (use one of " +
                                               std::string(policy::balance_kind_names()) + ")");
                    }),
      custom_key<S>("hash_key", "string", "`\"url\"`", "`\"url\"` or `\"header:NAME\"`; only with `balance = \"hash\"`",
                    "what `hash` hashes", [](ReadContext&, TableReader& t, S& s) {
                      auto key = t.string("hash_key", 300);
                      if (!key) return;
                      if (auto parsed = policy::parse_hash_key(*key)) {
                        s.hash_key = *parsed;
                        if (s.balance != policy::BalanceKind::hash)
                          t.error("hash_key", "only applies with balance = \"hash\"");
                      } else {
                        t.error("hash_key", "must be \"url\" or \"header:NAME\", not " + quote(*key));
                      }
                    }),
      custom_key<S>("warm_load", "integer", "`8`", "1 - 128; only with `balance = \"warm_first\"`",
                    "requests in flight on an instance (x `weight`) before `warm_first` sends to the next one",
                    [](ReadContext&, TableReader& t, S& s) {
                      auto load = t.integer("warm_load", 1, 128);
                      if (!load) return;
                      s.warm_load = static_cast<uint32_t>(*load);
                      if (s.balance != policy::BalanceKind::warm_first)
                        t.error("warm_load", "only applies with balance = \"warm_first\"");
                    }),
      integer_key<S>("weight", [](S& s) -> auto& { return s.weight; }, 1, 100,
                     {.meaning = "every instance's weight (for `weighted`, and scales shares in `least_conn`, "
                                 "`ip_hash`, `hash`, `p2c`, `least_time`, `warm_first`)"}),
      integer_key<S>("max_concurrency", [](S& s) -> auto& { return s.max_concurrency; }, 0, 1000000,
                     {.meaning = "requests in flight per instance; never more than `channel_slots / 2`",
                      .default_text = "`0` (no cap but the channel's)"}),
      integer_key<S>("queue", [](S& s) -> auto& { return s.queue; }, 0, 1000000,
                     {.meaning = "requests waiting when every instance is busy (at `max_concurrency`, or with all its "
                                 "gateway slots in use); more: 503"}),
      duration_key<S>("queue_timeout", [](S& s) -> auto& { return s.queue_timeout; }, 1ms, 1h,
                      {.meaning = "how long one may wait in the queue (503 after)"}),
      duration_key<S>("stop_timeout", [](S& s) -> auto& { return s.stop_timeout; }, 1ms, 1h,
                      {.meaning = "stopping an instance (scale-down, `shoal down`, a restart) sends the program "
                                  "SIGTERM (its handler may drain and exit); it gets SIGKILL if it still runs after "
                                  "this long"}),
      // Half the slots are the gateway's (one request in flight each), half
      // the instance's own connections to other services: the count must split.
      integer_key<S>("channel_slots", [](S& s) -> auto& { return s.channel_slots; }, kMinChannelSlots,
                     kMaxChannelSlots,
                     {.meaning = "connection slots of each instance's channel: half carry the gateway's requests (one "
                                 "in flight each, kept alive and reused), half the instance's own connections to other "
                                 "services. Each slot has two 32 KiB rings in shared memory (16 MiB of address space "
                                 "per instance at 256), whose pages are only backed once a connection uses them",
                      .bounds = "even"},
                     [](const S&, int64_t v) -> std::optional<std::string> {
                       if (v % 2 != 0)
                         return "must be even (half for the gateway, half for the instance's own connections)";
                       return std::nullopt;
                     }),
      boolean_key<S>("ksm", [](S& s) -> auto& { return s.ksm; },
                     {.meaning = "let the host's KSM merge guest pages identical across instances (`shoal-vmm --ksm`: "
                                 "MADV_MERGEABLE on guest memory). Idle instances of one image hold mostly identical "
                                 "pages; merging needs `/sys/kernel/mm/ksm/run` = 1 and costs ksmd's CPU (docs/"
                                 "benchmarks.md, \"Density\")"}),
      // start, snapshot, warm and ready: how instances start (docs/spec.md
      // "Starting from a snapshot"). The last three only mean something with
      // start = "snapshot", so giving one with "boot" is an error.
      custom_key<S>("start", "string", "`\"snapshot\"`", "`\"snapshot\"` or `\"boot\"`",
                    "how instances start: `snapshot` boots the first one, saves it at its ready point and starts "
                    "every other one from that snapshot; `boot` boots the image every time",
                    [](ReadContext&, TableReader& t, S& s) {
                      auto mode = t.string("start", 64);
                      if (!mode) return;
                      if (*mode == "snapshot")
                        s.start = StartMode::snapshot;
                      else if (*mode == "boot")
                        s.start = StartMode::boot;
                      else
                        t.error("start", "must be \"snapshot\" or \"boot\", not " + quote(*mode));
                    }),
      custom_key<S>("snapshot", "string", "none: shoald makes one", "an existing snapshot file",
                    "a snapshot to start instances from instead of making one: one shoald made (from its cache: "
                    "a pool's snapshot holds its channel); relative to the spec file's directory. `shoal up` checks it "
                    "exists, its header is valid and it has this pool's channel",
                    [](ReadContext& ctx, TableReader& t, S& s) {
                      auto file = t.string("snapshot");
                      if (!file) return;
                      if (file->empty())
                        t.error("snapshot", "must not be empty");
                      else if (s.start != StartMode::snapshot)
                        t.error("snapshot", "only applies with start = \"snapshot\"");
                      else {
                        s.snapshot = *file;
                        s.snapshot_path = resolve(ctx.base_dir, *file);
                      }
                    }),
      custom_key<S>("warm", "integer", "`1` (`0` with `start = \"boot\"`)", "0 - 64; only with `start = \"snapshot\"`",
                    "monitors kept started and waiting on the snapshot (VM, vCPU, memory mapped, jail): a start, "
                    "including the one from zero, takes one and costs a write to a pipe; refilled after",
                    [](ReadContext&, TableReader& t, S& s) {
                      if (s.start == StartMode::boot) s.warm = 0;
                      auto warm = t.integer("warm", 0, kMaxWarm);
                      if (!warm) return;
                      if (s.start != StartMode::snapshot && *warm != 0)
                        t.error("warm", "only applies with start = \"snapshot\" (a warm monitor waits on a snapshot)");
                      else
                        s.warm = static_cast<uint32_t>(*warm);
                    }),
      custom_key<S>("warm_up", "string", "none", "a path (starts with `/`); only with `start = \"snapshot\"`",
                    "resume each warm monitor as soon as it is started and send it `GET warm_up` over its channel, "
                    "so that its first touches of the request path are paid before a request needs it; the guest's "
                    "re-binding (clocks, entropy) then happens then, not when it is taken",
                    [](ReadContext&, TableReader& t, S& s) {
                      auto path = t.string("warm_up", 1024);
                      if (!path) return;
                      if (s.start != StartMode::snapshot)
                        t.error("warm_up", "only applies with start = \"snapshot\"");
                      else if (!valid_path(*path))
                        t.error("warm_up", "must be a path starting with '/' (visible ASCII, no spaces)");
                      else
                        s.warm_up = *path;
                    }),
      custom_key<S>("ready", "string", "`\"port:<port>\"`", "`\"listen\"` or `\"port:N\"`; only with `start = \"snapshot\"`",
                    "where the snapshot is taken: when the program first blocks with a socket listening "
                    "(`listen`) or listening on port N", [](ReadContext&, TableReader& t, S& s) {
                      s.ready = "port:" + std::to_string(s.port);
                      auto ready = t.string("ready", 64);
                      if (!ready) return;
                      if (s.start != StartMode::snapshot) {
                        t.error("ready", "only applies with start = \"snapshot\"");
                        return;
                      }
                      if (!s.snapshot.empty()) {
                        t.error("ready", "does not apply with snapshot = (the file's ready point is fixed)");
                        return;
                      }
                      if (*ready == "listen") {
                        s.ready = *ready;
                        return;
                      }
                      int64_t port = 0;
                      bool ok = ready->size() > 5 && ready->size() <= 10 && ready->rfind("port:", 0) == 0;
                      for (size_t k = 5; ok && k < ready->size(); ++k) {
                        char c = (*ready)[k];
                        ok = c >= '0' && c <= '9';
                        port = port * 10 + (c - '0');
                      }
                      if (!ok || port < 1 || port > 65535)
                        t.error("ready", "must be \"listen\" or \"port:N\" (N 1 to 65535), not " + quote(*ready));
                      else
                        s.ready = *ready;
                    }),
      custom_key<S>("health", "table", "none", "", "active HTTP health checks, see below",
                    [](ReadContext& ctx, TableReader& t, S& s) {
                      auto h = read_sub_table(ctx, t, "health", health_keys());
                      if (h && !h->path.empty()) s.health = *h;
                    }),
      custom_key<S>("passive_health", "table", "`{ errors = 5, cooldown = \"10s\" }`", "",
                    "errors on real traffic, see below", [](ReadContext& ctx, TableReader& t, S& s) {
                      if (auto p = read_sub_table(ctx, t, "passive_health", passive_health_keys(), s.passive_health))
                        s.passive_health = *p;
                    }),
      custom_key<S>("autoscale", "table", "none (a fixed count)", "", "see *Autoscaling*",
                    [](ReadContext& ctx, TableReader& t, S& s) {
                      if (auto a = read_sub_table(ctx, t, "autoscale", autoscale_keys())) s.autoscale = *a;
                    }),
      custom_key<S>("restart", "table", "`{ initial = \"10ms\", max = \"10s\", reset_after = \"10s\" }`", "",
                    "restart back-off, see below", [](ReadContext& ctx, TableReader& t, S& s) {
                      if (auto r = read_sub_table(ctx, t, "restart", restart_keys(), s.restart)) s.restart = *r;
                    }),
      custom_key<S>("args", "array of strings", "`[]`", "at most 256, each at most 4096 bytes",
                    "the program's arguments after argv[0]", read_args),
      custom_key<S>("env", "table of strings", "`{}`", "at most 256; names `[A-Za-z_][A-Za-z0-9_]*`",
                    "environment variables, on top of the default environment (`HOME=/`, `PATH`, "
                    "`LANG=C.UTF-8`: README \"Usage\") and `PORT`, `SHOAL_SERVICE`, `SHOAL_INSTANCE`; a value here "
                    "replaces a default. With `start = \"snapshot\"` the environment is the snapshot's: every "
                    "instance sees the `SHOAL_INSTANCE` of the one that saved it", read_env),
      boolean_key<S>("retryable", [](S& s) -> auto& { return s.retryable; },
                     {.meaning = "accepted and kept in the model, but the gateway does not consult it today: only a "
                                 "route's `retryable` lets a failed non-idempotent request (POST, ...) be retried on "
                                 "another instance. GET and HEAD always may."}),
  };
  return keys;
}

std::optional<Service> read_service(ReadContext& ctx, TableReader t, std::string name) {
  Service s;
  s.name = std::move(name);
  read_keys(service_keys(), ctx, t, s);
  if (s.min_instances == 0 && !t.has("autoscale"))
    t.error("min_instances", "0 needs an autoscale table (something must start the first instance)");
  if (s.autoscale) {
    s.autoscale->min_instances = s.min_instances;
    s.autoscale->max_instances = s.max_instances;
    s.autoscale->initial_instances = s.initial_instances;
  }
  t.finish();
  if (s.image.empty()) return std::nullopt;
  return s;
}

// ---- [[routes]] ------------------------------------------------------------

// A string array of service names (pipeline, fanout); empty on error.
std::vector<std::string> read_names(ReadContext& ctx, TableReader& t, std::string_view key) {
  std::vector<std::string> names;
  const toml::array* list = t.array(key);
  if (!list) return names;
  std::string path = t.key_path(key);
  if (list->empty() || list->size() > 64) {
    t.error(key, "must list 1 to 64 services");
    return {};
  }
  bool ok = true;
  for (size_t i = 0; i < list->size(); ++i) {
    const toml::node& node = *list->get(i);
    const auto* str = node.as_string();
    if (!str) {
      ctx.diag.error(node.source().begin.line, indexed(path, i), "must be a service name, not " + describe_type(node));
      ok = false;
      continue;
    }
    names.push_back(unshield(str->get()));
    ctx.references.emplace_back(names.back(), indexed(path, i));
    ctx.diag.seen(indexed(path, i), node.source().begin.line);
  }
  return ok ? names : std::vector<std::string>{};
}

// service, pipeline, fanout, scatter: exactly one. A route whose target is
// invalid keeps no services (read_route drops it).
void read_target(ReadContext& ctx, TableReader& t, Route& r) {
  static constexpr std::string_view kTargets[] = {"service", "pipeline", "fanout", "scatter"};
  std::vector<std::string_view> given;
  for (std::string_view k : kTargets)
    if (t.has(k)) given.push_back(k);
  if (given.size() != 1) {
    std::string why = given.empty() ? "needs one of service, pipeline, fanout, scatter"
                                    : "has both " + std::string(given[0]) + " and " + std::string(given[1]) +
                                          ": give exactly one of service, pipeline, fanout, scatter";
    ctx.diag.error(t.line(), t.path(), why);
  } else if (given[0] == "service" || given[0] == "scatter") {
    r.kind = given[0] == "service" ? RouteKind::service : RouteKind::scatter;
    if (auto name = t.string(given[0], 256)) {
      r.services.push_back(*name);
      ctx.references.emplace_back(*name, t.key_path(given[0]));
    }
  } else {
    r.kind = given[0] == "pipeline" ? RouteKind::pipeline : RouteKind::fanout;
    r.services = read_names(ctx, t, given[0]);
    if (r.kind == RouteKind::fanout) {
      // The fan-out answer is a JSON object keyed by service: keys must differ.
      std::set<std::string> seen;
      for (const std::string& name : r.services)
        if (!seen.insert(name).second) {
          t.error("fanout", "names " + quote(name) + " twice");
          r.services.clear();
          break;
        }
    }
  }
}

const Keys<Route>& route_keys() {
  using R = Route;
  static const Keys<R> keys = {
      custom_key<R>("host", "string", "any host", "",
                    "the request's Host (letters, digits, `-`, `.`, optional `:port`); matched case-insensitively",
                    [](ReadContext&, TableReader& t, R& r) {
                      auto host = t.string("host", 300);
                      if (!host) return;
                      if (auto h = normalize_host(*host))
                        r.host = *h;
                      else
                        t.error("host", "must be a host name (letters, digits, '-', '.') with an optional :port, "
                                        "not " + quote(*host));
                    }),
      custom_key<R>("path", "string", "`\"/\"`", "starts with `/`, no spaces or control characters",
                    "a path prefix", [](ReadContext&, TableReader& t, R& r) {
                      auto path = t.string("path", 1024);
                      if (!path) return;
                      if (valid_path(*path))
                        r.path = *path;
                      else
                        t.error("path", "must start with '/' and hold no spaces or control characters");
                    }),
      // The four targets are read together, by this entry.
      custom_key<R>("service", "name", "", "", "send the request to this service", read_target),
      custom_key<R>("pipeline", "array of names", "", "1 - 64",
                    "the response body of each service becomes the request body of the next; the last one answers",
                    {}),
      custom_key<R>("fanout", "array of names", "", "1 - 64, distinct",
                    "the same request to every service at once; the answer is one JSON object keyed by service", {}),
      custom_key<R>("scatter", "name", "", "",
                    "the request body, a JSON array, is split into elements, each sent to the service (in parallel, "
                    "balanced); the answer is the array of results in order",
                    {}),
      boolean_key<R>("strip_prefix", [](R& r) -> auto& { return r.strip_prefix; },
                     {.meaning = "remove `path` from the request path before forwarding"}),
      // NOTE: absent means "not retryable" (the gateway reads value_or(false));
      // the service's own `retryable` is not consulted.
      custom_key<R>("retryable", "boolean", "`false`", "",
                    "may failed non-idempotent requests (POST, ...) on this route be retried on another instance? "
                    "GET and HEAD always may. The service's own `retryable` is not consulted",
                    [](ReadContext&, TableReader& t, R& r) {
                      if (auto v = t.boolean("retryable")) r.retryable = *v;
                    }),
      custom_key<R>("timeout", "duration", "`gateway.request_timeout`", "1ms - 24h",
                    "from the request received to the response complete (504 after)",
                    [](ReadContext&, TableReader& t, R& r) {
                      if (auto v = t.duration("timeout", 1ms, kMaxTimeout)) r.timeout = *v;
                    }),
  };
  return keys;
}

std::optional<Route> read_route(ReadContext& ctx, TableReader t) {
  Route r;
  r.line = t.line();
  read_keys(route_keys(), ctx, t, r);
  t.finish();
  if (r.services.empty()) return std::nullopt;
  return r;
}

// ---- the root --------------------------------------------------------------

std::string pool_name_from_file(std::string_view file) {
  std::string stem = std::filesystem::path(std::string(file)).stem().string();
  std::string name;
  for (char c : stem) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    name += ok ? c : '-';
    if (name.size() == kMaxNameLength) break;
  }
  return name.empty() ? "pool" : name;
}

void read_services(ReadContext& ctx, TableReader& root, Spec& spec) {
  if (!root.table("services")) {
    if (!root.has("services")) ctx.diag.error(1, "services", "no service is declared (add a [services.NAME] table)");
    return;
  }
  size_t count = 0;
  for (const auto& [key, node] : *root.get("services")->as_table()) {
    std::string name = unshield(key.str());
    std::string path = "services." + name;
    uint32_t line = key.source().begin.line;
    if (++count > kMaxServices) {
      ctx.diag.error(line, path, "too many services (at most " + std::to_string(kMaxServices) + ")");
      break;
    }
    if (!valid_name(name)) {
      ctx.diag.error(line, path, "service name must be 1 to 47 characters of [a-z0-9-]");
      continue;
    }
    const toml::table* table = node.as_table();
    if (!table) {
      ctx.diag.error(line, path, "must be a table ([services." + name + "]), not " + describe_type(node));
      continue;
    }
    if (auto s = read_service(ctx, TableReader(ctx.diag, *table, path), name)) spec.services.push_back(std::move(*s));
  }
  if (count == 0) root.error("services", "declares no service");
}

void read_routes(ReadContext& ctx, TableReader& root, Spec& spec) {
  const toml::array* routes = root.array("routes");
  if (!routes) return;
  for (size_t i = 0; i < routes->size(); ++i) {
    const toml::node& node = *routes->get(i);
    std::string path = indexed("routes", i);
    if (i >= kMaxRoutes) {
      ctx.diag.error(node.source().begin.line, "routes", "too many routes (at most " + std::to_string(kMaxRoutes) + ")");
      break;
    }
    const toml::table* table = node.as_table();
    if (!table) {
      ctx.diag.error(node.source().begin.line, path, "must be a table ([[routes]]), not " + describe_type(node));
      continue;
    }
    if (auto r = read_route(ctx, TableReader(ctx.diag, *table, path))) {
      spec.routes.push_back(std::move(*r));
      ctx.route_paths.push_back(path);
    }
  }
}

const Keys<Spec>& root_keys() {
  static const Keys<Spec> keys = {
      custom_key<Spec>("name", "name", "the file name's stem, lower-cased, other characters turned to `-`", "",
                       "the pool's name: `shoal ps` shows it, the default control socket is named after it",
                       [](ReadContext& ctx, TableReader& t, Spec& spec) {
                         spec.name = pool_name_from_file(ctx.diag.file());
                         auto name = t.string("name");
                         if (!name) return;
                         if (valid_name(*name))
                           spec.name = *name;
                         else
                           t.error("name", "must be 1 to 47 characters of [a-z0-9-]");
                       }),
      custom_key<Spec>("gateway", "table", "all defaults", "", "the listener clients connect to, see `[gateway]`",
                       [](ReadContext& ctx, TableReader& t, Spec& spec) {
                         if (auto gateway = t.table("gateway")) {
                           read_keys(gateway_keys(), ctx, *gateway, spec.gateway);
                           gateway->finish();
                         } else if (!t.has("gateway")) {
                           // All defaults; the empty table checks nothing.
                           toml::table empty;
                           TableReader defaults(ctx.diag, empty, "gateway");
                           read_keys(gateway_keys(), ctx, defaults, spec.gateway);
                           defaults.finish();
                         }
                       }),
      custom_key<Spec>("services", "tables", "— (at least one required)", "at most 1000",
                       "one `[services.NAME]` table per service; NAME is the service's name", read_services),
      custom_key<Spec>("routes", "array of tables", "none", "at most 10000",
                       "`[[routes]]`: how requests reach services", read_routes),
  };
  return keys;
}

}  // namespace

void read_root(ReadContext& ctx, TableReader& root, Spec& spec) { read_keys(root_keys(), ctx, root, spec); }

std::vector<KeySection> spec_key_docs() {
  return {
      section_docs("root", root_keys()),
      section_docs("gateway", gateway_keys()),
      section_docs("gateway.retry_budget", retry_budget_keys()),
      section_docs("services.NAME", service_keys()),
      section_docs("services.NAME.health", health_keys()),
      section_docs("services.NAME.passive_health", passive_health_keys()),
      section_docs("services.NAME.restart", restart_keys()),
      section_docs("services.NAME.autoscale", autoscale_keys()),
      section_docs("routes", route_keys()),
  };
}

}  // namespace shoal::pool::spec
