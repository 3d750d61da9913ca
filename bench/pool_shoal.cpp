#include "pool_shoal.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "pool_http.hpp"
#include "pool_proc.hpp"

namespace shoal::bench::pool {

std::string hello_spec(const HelloPool& p) {
  std::string s;
  s += "# bench/pool: the hello service behind shoal's gateway (generated).\n";
  s += "[gateway]\n";
  s += "listen = \"127.0.0.1:" + std::to_string(p.listen) + "\"\n";
  s += "admin = \"127.0.0.1:" + std::to_string(p.admin) + "\"\n";
  s += "control = \"" + p.dir + "/control.sock\"\n";
  s += "hold_timeout = \"10s\"\n\n";
  s += "[services.hello]\n";
  s += "image = \"" + p.image + "\"\n";
  s += "port = 8080\nmemory = \"" + p.memory + "\"\nbalance = \"" + p.balance + "\"\n";
  if (p.warm_load > 0) s += "warm_load = " + std::to_string(p.warm_load) + "\n";
  if (p.scale_to_zero) {
    s += "min_instances = 0\nmax_instances = 1\ninitial = 0\n";
    // A 1 s stable window: back at zero 1-2 s after the last request.
    s += "autoscale = { target = 100, scale_to_zero_after = \"" + p.idle + "\", stable_window = \"1s\", "
         "panic_window = \"500ms\" }\n";
  } else {
    std::string k = std::to_string(p.instances);
    s += "min_instances = " + k + "\nmax_instances = " + k + "\ninitial = " + k + "\n";
  }
  if (!p.start.empty()) s += "start = \"" + p.start + "\"\n";
  if (p.warm >= 0) s += "warm = " + std::to_string(p.warm) + "\n";
  if (!p.warm_up.empty()) s += "warm_up = \"" + p.warm_up + "\"\n";
  s += "\n[[routes]]\npath = \"/\"\nservice = \"hello\"\n";
  return s;
}

Result<RunningPool> RunningPool::up(const std::string& shoal_bin, const HelloPool& pool, const std::string& name,
                                    int timeout_ms) {
  std::string spec = pool.dir + "/" + name + ".toml";
  {
    std::ofstream f(spec);
    f << hello_spec(pool);
    if (!f) return make_error("cannot write " + spec);
  }
  std::string control = pool.dir + "/control.sock";
  int ready_s = timeout_ms / 1000;
  Finished f = run_bounded({shoal_bin, "up", spec, "-d", "-c", control, "--ready-timeout", std::to_string(ready_s)},
                           timeout_ms + 15000);
  if (f.status != 0) {
    // shoald runs detached: a start that timed out or was interrupted may
    // have left it running with part of the pool.
    (void)run_bounded({shoal_bin, "down", "-c", control, "--timeout", "20"}, 30000, {}, true);
    return make_error("`shoal up " + spec + " -d` failed (status " + std::to_string(f.status) + "):\n" + f.out + f.err);
  }
  // "  pid     12345": shoald's, kept to stop it by id should `shoal down` fail.
  pid_t pid = -1;
  if (size_t at = f.out.find("pid "); at != std::string::npos) pid = std::atoi(f.out.c_str() + at + 4);
  return RunningPool(shoal_bin, control, pid);
}

Result<void> RunningPool::down() {
  if (!m_up) return {};
  m_up = false;
  Finished f = run_bounded({m_shoal, "down", "-c", m_control, "--timeout", "20"}, 30000, {}, true);
  if (f.status == 0) return {};
  if (m_pid > 0) {
    kill(-m_pid, SIGKILL);  // shoald leads its own session: its group holds its monitors
    kill(m_pid, SIGKILL);
  }
  return make_error("`shoal down -c " + m_control + "` failed (status " + std::to_string(f.status) + "): " + f.out +
                    f.err + (m_pid > 0 ? " (killed shoald, pid " + std::to_string(m_pid) + ")" : ""));
}

std::optional<double> metric(uint16_t admin, const std::string& name, std::initializer_list<std::string> labels) {
  auto r = http_get(admin, "/metrics", 2000);
  if (!r || r->status != 200) return std::nullopt;
  std::istringstream lines(r->body);
  std::string line;
  std::optional<double> sum;
  while (std::getline(lines, line)) {
    if (line.compare(0, name.size(), name) != 0) continue;
    char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != '{' && next != ' ') continue;  // a longer name with this prefix
    bool match = true;
    for (auto& l : labels) match = match && line.find(l) != std::string::npos;
    if (!match) continue;
    size_t sp = line.rfind(' ');
    sum = sum.value_or(0) + std::atof(line.c_str() + sp + 1);
  }
  return sum;
}

}  // namespace shoal::bench::pool
