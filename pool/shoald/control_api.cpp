#include "control_api.hpp"

#include <arpa/inet.h>
#include <stdio.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include <shoal/pool/policy/balance_kind.hpp>

namespace shoal::pool {

namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

ApiResponse json_response(int status, const json& j) { return {status, "application/json", dump(j)}; }

std::string ipv4_text(uint32_t ipv4) {
  char buf[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &ipv4, buf, sizeof buf);
  return buf;
}

std::string instance_name(const std::string& service, uint32_t index) {
  return service + "/" + std::to_string(index);
}

json log_lines(const LogRing& log, size_t max_lines) {
  json lines = json::array();
  const auto& all = log.lines();
  size_t start = max_lines && all.size() > max_lines ? all.size() - max_lines : 0;
  uint64_t seq = log.first_seq() + start;
  for (size_t k = start; k < all.size(); ++k, ++seq) {
    const LogLine& l = all[k];
    lines.push_back({{"seq", seq},
                     {"time", iso_time(l.time_ns)},
                     {"unix_time", static_cast<double>(l.time_ns) / 1e9},
                     {"stream", l.stream == LogStream::err ? "err" : "out"},
                     {"text", l.text}});
  }
  return lines;
}

}  // namespace

std::string iso_time(uint64_t wall_ns) {
  time_t secs = static_cast<time_t>(wall_ns / 1000000000ull);
  tm t;
  gmtime_r(&secs, &t);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
           t.tm_hour, t.tm_min, t.tm_sec, static_cast<unsigned>((wall_ns / 1000000ull) % 1000));
  return buf;
}

namespace {

// The instances array, written straight out: at 10,000 instances building
// it as nlohmann objects and dumping them took ~110 ms of the loop (a status
// call blocked the gateway that long); appending the same JSON takes a
// tenth. Every string here is ours (service names are spec identifiers,
// states fixed words), but they are escaped all the same.
void append_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

void append_key(std::string& out, const char* key) {
  out += '"';
  out += key;
  out += "\":";
}

void append_number(std::string& out, double v) {
  // Six significant digits (what people read; integers keep their ".0", as
  // nlohmann writes a double).
  char buf[32];
  if (!std::isfinite(v))
    snprintf(buf, sizeof buf, "null");  // as nlohmann writes NaN and infinities
  else if (v > -1e15 && v < 1e15 && v == static_cast<double>(static_cast<int64_t>(v)))
    snprintf(buf, sizeof buf, "%lld.0", static_cast<long long>(v));
  else
    snprintf(buf, sizeof buf, "%.6g", v);
  out += buf;
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

}  // namespace

std::string ControlApi::status_text() const {
  uint64_t now = EventLoop::now_ns();
  json services = json::array();
  std::string instances = "[";
  for (const auto& rt : m_supervisor.services()) {
    const Service& s = rt->service;
    uint32_t starting = 0, ready = 0, draining = 0, in_flight = 0;
    for (const auto& i : s.instances) {
      starting += i->state == InstanceState::starting;
      ready += i->state == InstanceState::ready;
      draining += i->state == InstanceState::draining;
      in_flight += i->in_flight;
      if (i->state == InstanceState::exited) continue;
      const InstanceRuntime& r = *i->runtime;
      // CPU time, memory and CPU share as last sampled: at readiness, then
      // every max(1 s, instances / 1,000 s) (Supervisor::sample_instances);
      // reading /proc for each of 10,000 instances here made `ps` slow.
      const ProcStats& st = r.stats;
      auto restarts = rt->restarts_by_index.find(i->index);
      std::string& o = instances;
      if (o.size() > 1) o += ',';
      o += "{\"id\":";
      append_uint(o, i->id);
      o += ',';
      append_key(o, "name");
      append_escaped(o, instance_name(s.name(), i->index));
      o += ',';
      append_key(o, "service");
      append_escaped(o, s.name());
      o += ",\"index\":";
      append_uint(o, i->index);
      o += ",\"state\":";
      append_escaped(o, to_string(i->state));
      o += ",\"healthy\":";
      o += i->state == InstanceState::ready ? (i->healthy ? "true" : "false") : "null";
      o += ",\"pid\":";
      o += std::to_string(i->pid);
      o += ",\"uptime_s\":";
      append_number(o, static_cast<double>(now - i->spawned_ns) / 1e9);
      o += ",\"in_flight\":";
      append_uint(o, i->in_flight);
      o += ",\"requests\":";
      append_uint(o, r.requests);
      o += ",\"errors\":";
      append_uint(o, r.errors);
      o += ",\"rps\":";
      append_number(o, r.rps);
      o += ",\"cpu_seconds\":";
      append_number(o, st.cpu_seconds);
      o += ",\"cpu_percent\":";
      append_number(o, r.cpu_percent);
      o += ",\"rss_bytes\":";
      append_uint(o, st.rss_bytes);
      o += ",\"restarts\":";
      append_uint(o, restarts == rt->restarts_by_index.end() ? 0u : restarts->second);
      if (i->ready_ns) {
        o += ",\"start_ms\":";
        append_number(o, static_cast<double>(i->ready_ns - i->spawned_ns) / 1e6);
      }
      o += '}';
    }
    auto [low, high] = m_supervisor.bounds(*rt);
    json svc = {{"name", s.name()},
                {"port", s.spec->port},
                {"address", ipv4_text(s.ipv4)},
                {"image", rt->spec.image_path},
                {"balance", std::string(policy::balance_kind_name(rt->spec.balance))},
                {"min", low},
                {"max", high},
                {"desired", rt->desired},
                {"scaling", rt->pinned ? "pinned" : rt->autoscaler ? "auto" : "fixed"},
                {"starting", starting},
                {"ready", ready},
                {"draining", draining},
                {"in_flight", in_flight},
                {"waiting", rt->waiting},
                {"requests", rt->requests},
                {"rps", rt->rps},
                {"restarts", rt->restarts}};
    if (rt->autoscaler) {
      const auto& a = rt->autoscaler->status();
      svc["autoscaler"] = {{"stable_concurrency", a.stable_concurrency},
                           {"panic_concurrency", a.panic_concurrency},
                           {"panicking", a.panicking},
                           {"idle", a.idle}};
    }
    services.push_back(std::move(svc));
  }
  json pool = {{"name", m_info.name},
               {"spec", m_info.spec},
               {"pid", m_info.pid},
               {"gateway", m_info.gateway},
               {"admin", m_info.admin},
               {"control", m_info.control},
               {"state", m_supervisor.stopping() ? "stopping" : "running"},
               {"uptime_s", static_cast<double>(now - m_supervisor.started_ns()) / 1e9}};
  instances += ']';
  json head = {{"pool", std::move(pool)}, {"services", std::move(services)}};
  // {"instances":[...],"pool":...,"services":...}: the keys in the order
  // nlohmann writes them (sorted), the instances spliced in first.
  std::string out = dump(head);  // "{...}\n"
  std::string doc = "{\"instances\":" + instances;
  if (out.size() > 3) doc += "," + out.substr(1);
  else doc += "}\n";
  return doc;
}

json ControlApi::status() const { return json::parse(status_text()); }

Result<json> ControlApi::logs(const std::string& target, size_t max_lines) const {
  std::string service = target;
  std::optional<uint32_t> index;
  if (size_t slash = target.find('/'); slash != std::string::npos) {
    service = target.substr(0, slash);
    std::string n = target.substr(slash + 1);
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
    if (n.empty() || ec != std::errc() || p != n.data() + n.size())
      return make_http_error("instance: expected SERVICE or SERVICE/N, not '" + target + "'", 400);
    index = v;
  }
  const Supervisor::ServiceRuntime* rt = nullptr;
  for (const auto& r : m_supervisor.services())
    if (r->service.name() == service) rt = r.get();
  if (!rt) return make_http_error("no service named '" + service + "'", 404);

  json list = json::array();
  for (const auto& e : rt->exits) {
    if (index && e.index != *index) continue;
    json entry = {{"id", e.id},
                  {"name", instance_name(service, e.index)},
                  {"index", e.index},
                  {"state", "exited"},
                  {"pid", e.pid},
                  {"dropped", e.log.dropped_lines()},
                  {"lines", log_lines(e.log, max_lines)}};
    entry["exit"] = {{"status", e.status},
                     {"expected", e.expected},
                     {"code", e.exit_code >= 0 ? json(e.exit_code) : json(nullptr)},
                     {"signal", e.signal ? json(e.signal) : json(nullptr)},
                     {"time", iso_time(e.exited_wall_ns)},
                     {"unix_time", static_cast<double>(e.exited_wall_ns) / 1e9},
                     {"report", e.report}};
    list.push_back(std::move(entry));
  }
  for (const auto& i : rt->service.instances) {
    if (i->state == InstanceState::exited) continue;  // its record is above
    if (index && i->index != *index) continue;
    const InstanceRuntime& r = *i->runtime;
    list.push_back({{"id", i->id},
                    {"name", instance_name(service, i->index)},
                    {"index", i->index},
                    {"state", to_string(i->state)},
                    {"pid", i->pid},
                    {"dropped", r.log.dropped_lines()},
                    {"lines", log_lines(r.log, max_lines)}});
  }
  if (index && list.empty())
    return make_http_error("no instance " + target + " (running or recently exited)", 404);
  std::sort(list.begin(), list.end(), [](const json& a, const json& b) { return a["id"] < b["id"]; });
  return json{{"service", service}, {"instances", std::move(list)}};
}

ApiResponse ControlApi::scale(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return api_error(400, "body: expected a JSON object");
  auto svc = j.find("service");
  if (svc == j.end() || !svc->is_string()) return api_error(400, "service: expected a string");
  std::string name = svc->get<std::string>();
  auto inst = j.find("instances");
  auto aut = j.find("auto");
  Result<void> r;
  if (aut != j.end() && inst == j.end()) {
    if (!aut->is_boolean() || !aut->get<bool>()) return api_error(400, "auto: expected true");
    r = m_supervisor.scale_auto(name);
  } else if (inst != j.end() && aut == j.end()) {
    if (!inst->is_number_unsigned()) return api_error(400, "instances: expected a number >= 0");
    uint64_t n = inst->get<uint64_t>();
    if (n > 4096) return api_error(400, "instances: at most 4096");
    r = m_supervisor.scale(name, static_cast<uint32_t>(n));
  } else {
    return api_error(400, "expected either \"instances\": N or \"auto\": true");
  }
  if (!r) return api_error(r.error().http_status() ? r.error().http_status() : 400, r.error().message);
  const auto* rt = [&]() -> const Supervisor::ServiceRuntime* {
    for (const auto& x : m_supervisor.services())
      if (x->service.name() == name) return x.get();
    return nullptr;
  }();
  auto [low, high] = m_supervisor.bounds(*rt);
  return json_response(200, {{"service", name},
                             {"min", low},
                             {"max", high},
                             {"desired", rt->desired},
                             {"scaling", rt->pinned ? "pinned" : rt->autoscaler ? "auto" : "fixed"}});
}

ApiResponse ControlApi::handle(const ApiRequest& req) {
  auto method_is = [&](std::string_view m) { return req.method == m; };
  if (req.path == "/v1/status") {
    if (!method_is("GET") && !method_is("HEAD")) return api_error(405, "use GET");
    return {200, "application/json", status_text()};
  }
  if (req.path == "/v1/logs") {
    if (!method_is("GET") && !method_is("HEAD")) return api_error(405, "use GET");
    auto target = query_param(req.query, "instance");
    if (!target || target->empty()) return api_error(400, "instance: required (SERVICE or SERVICE/N)");
    size_t lines = 0;
    if (auto l = query_param(req.query, "lines")) {
      auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), lines);
      if (l->empty() || ec != std::errc() || p != l->data() + l->size()) return api_error(400, "lines: expected a number");
    }
    auto doc = logs(*target, lines);
    if (!doc) return api_error(doc.error().http_status() ? doc.error().http_status() : 400, doc.error().message);
    return json_response(200, doc.value());
  }
  if (req.path == "/v1/scale") {
    if (!method_is("POST")) return api_error(405, "use POST");
    return scale(req.body);
  }
  if (req.path == "/v1/down") {
    if (!method_is("POST")) return api_error(405, "use POST");
    bool already = m_supervisor.stopping();
    if (m_on_down) m_on_down();
    return json_response(202, {{"state", "stopping"}, {"already", already}});
  }
  return api_error(404, "no such call: " + std::string(req.path) + " (see docs/control-api.md)");
}

}  // namespace shoal::pool
