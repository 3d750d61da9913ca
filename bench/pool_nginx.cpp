#include "pool_nginx.hpp"

#include <fstream>

#include "pool_http.hpp"

namespace shoal::bench::pool {

std::string nginx_conf(const NginxConfig& c) {
  std::string d = c.dir;
  std::string conf;
  conf += "# bench/pool: nginx in front of native hello servers (generated).\n";
  conf += "daemon off;\nmaster_process on;\n";
  conf += "worker_processes " + std::to_string(c.workers) + ";\n";
  conf += "pid " + d + "/nginx.pid;\nerror_log " + d + "/error.log warn;\n";
  conf += "events { worker_connections 4096; }\n";
  conf += "http {\n  access_log off;\n";
  // Temporary files stay in our directory, never in /var/lib/nginx.
  for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
    conf += std::string("  ") + t + "_temp_path " + d + "/" + t + ";\n";
  // Client connections live as long as wrk's (as the shoal gateway's do).
  conf += "  keepalive_requests 1000000;\n  keepalive_timeout 60s;\n";
  conf += "  upstream hello {\n";
  for (uint16_t p : c.upstreams) conf += "    server 127.0.0.1:" + std::to_string(p) + ";\n";
  conf += "    keepalive " + std::to_string(c.upstream_keepalive) + ";\n";
  conf += "    keepalive_requests 1000000;\n  }\n";
  conf += "  server {\n    listen 127.0.0.1:" + std::to_string(c.listen) + ";\n";
  conf += "    location / {\n      proxy_pass http://hello;\n      proxy_http_version 1.1;\n";
  conf += "      proxy_set_header Connection \"\";\n    }\n  }\n}\n";
  return conf;
}

Result<Child> start_nginx(const NginxConfig& c, int timeout_ms) {
  std::string conf_path = c.dir + "/nginx.conf";
  {
    std::ofstream f(conf_path);
    f << nginx_conf(c);
    if (!f) return make_error("cannot write " + conf_path);
  }
  Child nginx = TRY(Child::spawn({"nginx", "-p", c.dir, "-c", conf_path}, {}, c.dir + "/nginx.out"));
  if (!wait_http_ok(c.listen, "/", timeout_ms)) {
    std::string why = read_file(c.dir + "/nginx.out") + read_file(c.dir + "/error.log");
    return make_error("nginx did not proxy GET / within " + std::to_string(timeout_ms) + " ms:\n" + why);
  }
  return nginx;
}

std::string nginx_version() {
  Finished f = run_bounded({"nginx", "-v"}, 5000);
  std::string v = f.err + f.out;  // nginx prints its version on stderr
  size_t pos = v.find("nginx/");
  if (pos == std::string::npos) return "nginx (version unknown)";
  size_t end = v.find_first_of(" \n", pos);
  return v.substr(pos, end - pos);
}

}  // namespace shoal::bench::pool
