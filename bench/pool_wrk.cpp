#include "pool_wrk.hpp"

#include <cstdlib>
#include <sstream>

#include "pool_proc.hpp"

namespace shoal::bench::pool {

double wrk_duration_us(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str()) return -1;
  std::string unit(end);
  if (unit == "us") return v;
  if (unit == "ms") return v * 1e3;
  if (unit == "s") return v * 1e6;
  if (unit == "m") return v * 60e6;
  if (unit == "h") return v * 3600e6;
  return -1;
}

// The number after `key` on the line that contains it, or -1.
static double number_after(const std::string& report, const std::string& key) {
  size_t pos = report.find(key);
  if (pos == std::string::npos) return -1;
  return std::strtod(report.c_str() + pos + key.size(), nullptr);
}

Result<WrkResult> parse_wrk(const std::string& report) {
  WrkResult r;
  r.report = report;
  r.rps = number_after(report, "Requests/sec:");
  if (r.rps < 0) return make_error("wrk: no Requests/sec in its report:\n" + report);
  // "  361234 requests in 10.00s, 40.01MB read"
  size_t pos = report.find(" requests in ");
  if (pos != std::string::npos) {
    size_t start = report.rfind('\n', pos);
    r.requests = std::atol(report.c_str() + (start == std::string::npos ? 0 : start + 1));
  }
  // Latency distribution lines: "     99%    1.07ms".
  std::istringstream lines(report);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string pct, value;
    if (!(words >> pct >> value)) continue;
    if (pct == "50%") r.p50_us = wrk_duration_us(value);
    if (pct == "99%") r.p99_us = wrk_duration_us(value);
  }
  if (r.p99_us <= 0) return make_error("wrk: no 99% latency in its report (was --latency given?):\n" + report);
  // "  Socket errors: connect 0, read 12, write 0, timeout 3"
  if (size_t s = report.find("Socket errors:"); s != std::string::npos) {
    for (const char* k : {"connect ", "read ", "write ", "timeout "}) {
      size_t at = report.find(k, s);
      if (at != std::string::npos) r.socket_errors += std::atol(report.c_str() + at + std::string(k).size());
    }
  }
  double non = number_after(report, "Non-2xx or 3xx responses:");
  r.non_2xx = non < 0 ? 0 : static_cast<long>(non);
  return r;
}

Result<WrkResult> run_wrk(const std::string& url, const WrkOptions& o) {
  std::vector<std::string> argv = {"wrk", "-t" + std::to_string(o.threads), "-c" + std::to_string(o.connections),
                                   "-d" + std::to_string(o.seconds) + "s", "--latency", url};
  Finished f = run_bounded(argv, (o.seconds + 15) * 1000);
  if (interrupted()) return make_error("interrupted");
  if (f.timed_out) return make_error("wrk did not finish within " + std::to_string(o.seconds + 15) + " s");
  if (f.status != 0) return make_error("wrk failed (status " + std::to_string(f.status) + "): " + f.err + f.out);
  return parse_wrk(f.out);
}

}  // namespace shoal::bench::pool
