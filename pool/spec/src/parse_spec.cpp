// parse_spec(): TOML text -> validated Spec, collecting every error.
//
// Each section has one function that reads its keys through a TableReader
// (types, bounds, unknown keys) and then checks what involves several keys.
// Cross-references (routes naming services) are checked once all is read.
#include <algorithm>
#include <filesystem>
#include <set>

#include <shoal/abi/channel.h>
#include <shoal/abi/layout.h>
#include <shoal/pool/spec/spec.hpp>
#include <shoal/pool/spec/values.hpp>

#include "diagnostics.hpp"
#include "table_reader.hpp"
#include "toml.hpp"
#include "unicode_shield.hpp"

static_assert(shoal::pool::spec::kMaxChannelSlots == shoal::abi::kMaxChannelSlots);
static_assert(shoal::abi::channel_region_size(shoal::pool::spec::kMaxChannelSlots, shoal::abi::kDefaultRingSize) <=
              shoal::abi::kMaxChannelRegionSize);

namespace shoal::pool::spec {
namespace {

using namespace std::chrono_literals;
using policy::Duration;

constexpr int64_t kMaxInstances = 10000;
constexpr size_t kMaxServices = 1000;
constexpr size_t kMaxRoutes = 10000;
constexpr size_t kMaxListItems = 256;  // args, env, pipeline/fanout stages
constexpr size_t kMaxSocketPath = 107;  // sizeof(sockaddr_un::sun_path) - 1
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

class SpecReader {
 public:
  SpecReader(std::string_view file, const SpecEnvironment& env)
      : m_diag(std::string(file)), m_env(env), m_base_dir(std::filesystem::path(std::string(file)).parent_path()) {}

  SpecParse read(std::string_view text);

 private:
  void read_gateway(TableReader t, Spec& spec);
  void read_retry_budget(TableReader t, policy::RetryBudgetConfig& out);
  std::optional<Service> read_service(TableReader t, std::string name);
  void read_health(TableReader t, Service& s);
  void read_passive_health(TableReader t, Service& s);
  void read_autoscale(TableReader t, Service& s);
  void read_restart(TableReader t, Service& s);
  void read_args(TableReader& t, Service& s);
  void read_env(TableReader& t, Service& s);
  std::optional<Route> read_route(TableReader t);
  // A string array of service names (pipeline, fanout); empty on error.
  std::vector<std::string> read_names(TableReader& t, std::string_view key);
  void check_routes(const Spec& spec);

  Diagnostics m_diag;
  const SpecEnvironment& m_env;
  std::filesystem::path m_base_dir;
  // Each route's service names with the key path that named them.
  std::vector<std::pair<std::string, std::string>> m_references;
  std::vector<std::string> m_route_paths;  // parallel to Spec::routes
};

SpecParse SpecReader::read(std::string_view text) {
  SpecParse out;
  if (text.size() > kMaxSpecBytes) {
    m_diag.error(0, "", "the file is larger than " + size_text(kMaxSpecBytes) + " (is it a spec?)");
    out.errors = m_diag.take_errors();
    return out;
  }
  ShieldRefusal refusal;
  std::optional<std::string> shielded = shield(text, refusal);
  if (!shielded) {
    m_diag.syntax_error(refusal.line, refusal.column,
                        "characters of the private use planes (U+F0000 and above) are not accepted");
    out.errors = m_diag.take_errors();
    return out;
  }
  toml::parse_result parsed = toml::parse(*shielded, m_diag.file());
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    m_diag.syntax_error(e.source().begin.line, e.source().begin.column, unshield(e.description()));
    out.errors = m_diag.take_errors();
    return out;
  }

  Spec spec;
  spec.file = m_diag.file();
  TableReader root(m_diag, parsed.table(), "");

  spec.name = pool_name_from_file(spec.file);
  if (auto name = root.string("name")) {
    if (valid_name(*name))
      spec.name = *name;
    else
      root.error("name", "must be 1 to 47 characters of [a-z0-9-]");
  }

  if (auto gateway = root.table("gateway"))
    read_gateway(*gateway, spec);
  else if (!root.has("gateway"))
    read_gateway(TableReader(m_diag, toml::table{}, "gateway"), spec);  // all defaults

  if (auto services = root.table("services")) {
    size_t count = 0;
    for (const auto& [key, node] : *parsed.table().get_as<toml::table>("services")) {
      std::string name = unshield(key.str());
      std::string path = "services." + name;
      uint32_t line = key.source().begin.line;
      if (++count > kMaxServices) {
        m_diag.error(line, path, "too many services (at most " + std::to_string(kMaxServices) + ")");
        break;
      }
      if (!valid_name(name)) {
        m_diag.error(line, path, "service name must be 1 to 47 characters of [a-z0-9-]");
        continue;
      }
      const toml::table* table = node.as_table();
      if (!table) {
        m_diag.error(line, path, "must be a table ([services." + name + "]), not " + describe_type(node));
        continue;
      }
      if (auto s = read_service(TableReader(m_diag, *table, path), name)) spec.services.push_back(std::move(*s));
    }
    if (count == 0) root.error("services", "declares no service");
  } else if (!root.has("services")) {
    m_diag.error(1, "services", "no service is declared (add a [services.NAME] table)");
  }

  if (const toml::array* routes = root.array("routes")) {
    for (size_t i = 0; i < routes->size(); ++i) {
      const toml::node& node = *routes->get(i);
      std::string path = indexed("routes", i);
      if (i >= kMaxRoutes) {
        m_diag.error(node.source().begin.line, "routes", "too many routes (at most " + std::to_string(kMaxRoutes) + ")");
        break;
      }
      const toml::table* table = node.as_table();
      if (!table) {
        m_diag.error(node.source().begin.line, path, "must be a table ([[routes]]), not " + describe_type(node));
        continue;
      }
      if (auto r = read_route(TableReader(m_diag, *table, path))) {
        spec.routes.push_back(std::move(*r));
        m_route_paths.push_back(path);
      }
    }
  }
  root.finish();
  check_routes(spec);

  if (spec.gateway.control.empty()) {
    spec.gateway.control = default_control_path(spec.name, m_env);
    if (spec.gateway.control.size() > kMaxSocketPath)
      m_diag.error(0, "gateway.control",
                   "the default socket path " + spec.gateway.control + " is too long; set gateway.control");
  }

  out.errors = m_diag.take_errors();
  if (out.errors.empty()) {
    spec.lines = m_diag.take_lines();
    out.spec = std::move(spec);
  }
  return out;
}

void SpecReader::read_gateway(TableReader t, Spec& spec) {
  Gateway& g = spec.gateway;
  auto endpoint = [&](std::string_view key) -> std::optional<Endpoint> {
    auto text = t.string(key, 256);
    if (!text) return std::nullopt;
    auto e = parse_endpoint(*text);
    if (!e) {
      t.error(key, e.error().message);
      return std::nullopt;
    }
    return *e;
  };
  if (auto e = endpoint("listen")) g.listen = *e;
  if (auto e = endpoint("admin")) g.admin = *e;
  if (g.admin && *g.admin == g.listen) t.error("admin", "must differ from listen");
  if (auto control = t.string("control")) {
    std::string path = resolve(m_base_dir, *control);
    if (control->empty())
      t.error("control", "must not be empty");
    else if (path.size() > kMaxSocketPath)
      t.error("control", "must be at most " + std::to_string(kMaxSocketPath) + " bytes (a Unix socket path)");
    else
      g.control = path;
  }
  if (auto v = t.size("max_header_bytes", 1 << 10, 1 << 20)) g.max_header_bytes = *v;
  if (auto v = t.size("max_body_bytes", 0, 1ull << 30)) g.max_body_bytes = *v;
  if (auto v = t.duration("header_timeout", 1ms, kMaxTimeout)) g.header_timeout = *v;
  if (auto v = t.duration("body_timeout", 1ms, kMaxTimeout)) g.body_timeout = *v;
  if (auto v = t.duration("idle_timeout", 1ms, kMaxTimeout)) g.idle_timeout = *v;
  if (auto v = t.duration("request_timeout", 1ms, kMaxTimeout)) g.request_timeout = *v;
  if (auto v = t.duration("hold_timeout", 1ms, kMaxTimeout)) g.hold_timeout = *v;
  if (auto v = t.integer("max_held", 0, 1000000)) g.max_held = static_cast<uint32_t>(*v);
  if (auto v = t.integer("max_connections", 0, 10000000)) g.max_connections = static_cast<uint32_t>(*v);
  if (auto rb = t.table("retry_budget")) read_retry_budget(*rb, g.retry_budget);
  t.finish();
}

void SpecReader::read_retry_budget(TableReader t, policy::RetryBudgetConfig& out) {
  if (auto v = t.number("ratio", 0, 10)) out.ratio = *v;
  if (auto v = t.number("min_per_second", 0, 1e6)) out.min_per_second = *v;
  if (auto v = t.duration("window", 1s, 1h)) out.window = *v;
  t.finish();
}

std::optional<Service> SpecReader::read_service(TableReader t, std::string name) {
  Service s;
  s.name = std::move(name);
  bool ok = true;

  if (auto image = t.string("image")) {
    if (image->empty()) {
      t.error("image", "must not be empty");
    } else {
      s.image = *image;
      s.image_path = resolve(m_base_dir, *image);
    }
  } else if (!t.has("image")) {
    t.error("image", "is required (the service's .shoal image)");
  }
  if (s.image.empty()) ok = false;

  if (auto v = t.integer("port", 1, 65535)) s.port = static_cast<uint16_t>(*v);
  if (auto v = t.size("memory", abi::kMinMemory, abi::kMaxMemory)) {
    if (*v % abi::kLargePageSize != 0)
      t.error("memory", "must be a multiple of 2M");
    else
      s.memory = *v;
  }

  // Instance bounds: read all three, then check them against each other.
  auto min = t.integer("min_instances", 0, kMaxInstances);
  auto max = t.integer("max_instances", 1, kMaxInstances);
  auto initial = t.integer("initial", 0, kMaxInstances);
  bool bounds_ok = (min || !t.has("min_instances")) && (max || !t.has("max_instances")) &&
                   (initial || !t.has("initial"));
  if (min) s.min_instances = static_cast<uint32_t>(*min);
  s.max_instances = max ? static_cast<uint32_t>(*max) : std::max<uint32_t>(10, s.min_instances);
  s.initial_instances = initial ? static_cast<uint32_t>(*initial) : s.min_instances;
  if (bounds_ok) {
    if (s.max_instances < s.min_instances) {
      t.error("max_instances", "must be >= min_instances (" + std::to_string(s.min_instances) + ")");
    } else if (s.initial_instances < s.min_instances || s.initial_instances > s.max_instances) {
      t.error("initial", "must be between min_instances (" + std::to_string(s.min_instances) +
                             ") and max_instances (" + std::to_string(s.max_instances) + ")");
    }
  }

  if (auto balance = t.string("balance", 64)) {
    if (auto kind = policy::parse_balance_kind(*balance))
      s.balance = *kind;
    else
      t.error("balance", "unknown policy " + quote(*balance) + " (use one of " +
                             std::string(policy::balance_kind_names()) + ")");
  }
  if (auto key = t.string("hash_key", 300)) {
    if (auto parsed = policy::parse_hash_key(*key)) {
      s.hash_key = *parsed;
      if (s.balance != policy::BalanceKind::hash) t.error("hash_key", "only applies with balance = \"hash\"");
    } else {
      t.error("hash_key", "must be \"url\" or \"header:NAME\", not " + quote(*key));
    }
  }
  if (auto v = t.integer("weight", 1, 100)) s.weight = static_cast<uint32_t>(*v);
  if (auto v = t.integer("max_concurrency", 0, 1000000)) s.max_concurrency = static_cast<uint32_t>(*v);
  if (auto v = t.integer("queue", 0, 1000000)) s.queue = static_cast<uint32_t>(*v);
  if (auto v = t.duration("queue_timeout", 1ms, 1h)) s.queue_timeout = *v;
  if (auto v = t.integer("channel_slots", kMinChannelSlots, kMaxChannelSlots)) {
    // Half the slots are the gateway's (one request in flight each), half the
    // instance's own connections to other services: the count must split.
    if (*v % 2 != 0) {
      t.error("channel_slots", "must be even (half for the gateway, half for the instance's own connections)");
    } else {
      s.channel_slots = static_cast<uint32_t>(*v);
    }
  }

  if (auto h = t.table("health")) read_health(*h, s);
  if (auto p = t.table("passive_health")) read_passive_health(*p, s);
  if (auto a = t.table("autoscale")) read_autoscale(*a, s);
  if (auto r = t.table("restart")) read_restart(*r, s);
  read_args(t, s);
  read_env(t, s);
  if (auto v = t.boolean("retryable")) s.retryable = *v;

  if (s.min_instances == 0 && !t.has("autoscale"))
    t.error("min_instances", "0 needs an autoscale table (something must start the first instance)");
  if (s.autoscale) {
    s.autoscale->min_instances = s.min_instances;
    s.autoscale->max_instances = s.max_instances;
    s.autoscale->initial_instances = s.initial_instances;
  }
  t.finish();
  if (!ok) return std::nullopt;
  return s;
}

void SpecReader::read_health(TableReader t, Service& s) {
  HealthCheck h;
  auto path = t.string("path", 1024);
  if (path && !valid_path(*path))
    t.error("path", "must start with '/' and hold no spaces or control characters");
  else if (!path && !t.has("path"))
    t.error("path", "is required (the URL path to probe, e.g. \"/healthz\")");
  if (auto v = t.duration("interval", 10ms, 1h)) h.config.interval = *v;
  if (auto v = t.duration("timeout", 1ms, 1h)) {
    if (*v > h.config.interval)
      t.error("timeout", "must be <= interval (" + format_duration(h.config.interval) + ")");
    else
      h.config.timeout = *v;
  }
  if (auto v = t.integer("rise", 1, 100)) h.config.rise = static_cast<uint32_t>(*v);
  if (auto v = t.integer("fall", 1, 100)) h.config.fall = static_cast<uint32_t>(*v);
  t.finish();
  if (path && valid_path(*path)) {
    h.path = *path;
    s.health = h;
  }
}

void SpecReader::read_passive_health(TableReader t, Service& s) {
  if (auto v = t.integer("errors", 0, 1000)) s.passive_health.max_errors = static_cast<uint32_t>(*v);
  if (auto v = t.duration("cooldown", 1ms, 1h)) s.passive_health.cooldown = *v;
  t.finish();
}

void SpecReader::read_autoscale(TableReader t, Service& s) {
  policy::AutoscaleConfig a;
  if (auto v = t.number("target", 0.01, 1e6)) a.target = *v;
  if (auto v = t.duration("stable_window", 1s, 1h)) a.stable_window = *v;
  if (auto v = t.duration("panic_window", 100ms, 1h)) {
    if (*v > a.stable_window)
      t.error("panic_window", "must be <= stable_window (" + format_duration(a.stable_window) + ")");
    else
      a.panic_window = *v;
  }
  if (auto v = t.number("panic_threshold", 1, 100)) a.panic_threshold = *v;
  if (auto v = t.duration("scale_to_zero_after", 100ms, 24h)) a.scale_to_zero_after = *v;
  // Rates of 1 would forbid scaling in that direction entirely.
  if (auto v = t.number("max_scale_up_rate", 1.01, 1e6)) a.max_scale_up_rate = *v;
  if (auto v = t.number("max_scale_down_rate", 1.01, 1e6)) a.max_scale_down_rate = *v;
  t.finish();
  s.autoscale = a;
}

void SpecReader::read_restart(TableReader t, Service& s) {
  policy::RestartBackoffConfig& r = s.restart;
  if (auto v = t.duration("initial", 1ms, 1h)) r.initial = *v;
  if (auto v = t.duration("max", 1ms, 24h)) {
    if (*v < r.initial)
      t.error("max", "must be >= initial (" + format_duration(r.initial) + ")");
    else
      r.max = *v;
  }
  if (auto v = t.number("factor", 1, 100)) r.factor = *v;
  if (auto v = t.duration("reset_after", 1ms, 24h)) r.reset_after = *v;
  t.finish();
}

void SpecReader::read_args(TableReader& t, Service& s) {
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
      m_diag.error(node.source().begin.line, path, "must be a string, not " + describe_type(node));
    else if (value.find('\0') != std::string::npos || value.size() > 4096)
      m_diag.error(node.source().begin.line, path, "must be at most 4096 bytes without NUL characters");
    else
      s.args.push_back(std::move(value));
  }
}

void SpecReader::read_env(TableReader& t, Service& s) {
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
      m_diag.error(line, path, "variable names are [A-Za-z_][A-Za-z0-9_]*");
    else if (!str)
      m_diag.error(line, path, "must be a string, not " + describe_type(node));
    else if (value.find('\0') != std::string::npos || value.size() > 4096)
      m_diag.error(line, path, "must be at most 4096 bytes without NUL characters");
    else
      s.env.emplace_back(name, std::move(value));
  }
}

std::vector<std::string> SpecReader::read_names(TableReader& t, std::string_view key) {
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
      m_diag.error(node.source().begin.line, indexed(path, i), "must be a service name, not " + describe_type(node));
      ok = false;
      continue;
    }
    names.push_back(unshield(str->get()));
    m_references.emplace_back(names.back(), indexed(path, i));
    m_diag.seen(indexed(path, i), node.source().begin.line);
  }
  return ok ? names : std::vector<std::string>{};
}

std::optional<Route> SpecReader::read_route(TableReader t) {
  Route r;
  r.line = t.line();
  bool ok = true;
  if (auto host = t.string("host", 300)) {
    if (auto h = normalize_host(*host))
      r.host = *h;
    else
      t.error("host", "must be a host name (letters, digits, '-', '.') with an optional :port, not " + quote(*host));
  }
  if (auto path = t.string("path", 1024)) {
    if (valid_path(*path))
      r.path = *path;
    else
      t.error("path", "must start with '/' and hold no spaces or control characters");
  }

  static constexpr std::string_view kTargets[] = {"service", "pipeline", "fanout", "scatter"};
  std::vector<std::string_view> given;
  for (std::string_view k : kTargets)
    if (t.has(k)) given.push_back(k);
  if (given.size() != 1) {
    std::string why = given.empty() ? "needs one of service, pipeline, fanout, scatter"
                                    : "has both " + std::string(given[0]) + " and " + std::string(given[1]) +
                                          ": give exactly one of service, pipeline, fanout, scatter";
    m_diag.error(t.line(), t.path(), why);
    ok = false;
  } else if (given[0] == "service" || given[0] == "scatter") {
    r.kind = given[0] == "service" ? RouteKind::service : RouteKind::scatter;
    if (auto name = t.string(given[0], 256)) {
      r.services.push_back(*name);
      m_references.emplace_back(*name, t.key_path(given[0]));
    } else {
      ok = false;
    }
  } else {
    r.kind = given[0] == "pipeline" ? RouteKind::pipeline : RouteKind::fanout;
    r.services = read_names(t, given[0]);
    if (r.services.empty()) ok = false;
    if (r.kind == RouteKind::fanout) {
      // The fan-out answer is a JSON object keyed by service: keys must differ.
      std::set<std::string> seen;
      for (const std::string& name : r.services)
        if (!seen.insert(name).second) {
          t.error("fanout", "names " + quote(name) + " twice");
          ok = false;
          break;
        }
    }
  }

  if (auto v = t.boolean("strip_prefix")) r.strip_prefix = *v;
  if (auto v = t.boolean("retryable")) r.retryable = *v;
  if (auto v = t.duration("timeout", 1ms, kMaxTimeout)) r.timeout = *v;
  t.finish();
  if (!ok) return std::nullopt;
  return r;
}

void SpecReader::check_routes(const Spec& spec) {
  for (const auto& [name, path] : m_references) {
    if (spec.find_service(name)) continue;
    // A service that failed validation exists in the file: its own errors say why.
    if (m_diag.line_of("services." + name) != 0) continue;
    m_diag.error(m_diag.line_of(path), path, "unknown service " + quote(name));
  }
  for (size_t i = 0; i < spec.routes.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const Route& a = spec.routes[j];
      const Route& b = spec.routes[i];
      if (a.host == b.host && a.path == b.path) {
        m_diag.error(b.line, m_route_paths[i],
                     "same host and path as " + m_route_paths[j] + " (line " + std::to_string(a.line) + ")");
        break;
      }
    }
  }
}

}  // namespace

SpecParse parse_spec(std::string_view text, std::string_view file, const SpecEnvironment& env) {
  return SpecReader(file, env).read(text);
}

}  // namespace shoal::pool::spec
