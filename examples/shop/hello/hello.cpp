// hello: the smallest useful HTTP server, the one bench/pool measures behind
// shoal's gateway and behind nginx. Any GET answers a fixed body.
//
//   body size: --size N or HELLO_BODY_SIZE (default 13: "hello, world\n");
//   per request: ?size=N (at most 1 MiB).
//   GET /healthz -> "ok"
//   GET /whoami  -> the instance number shoald gave it (SHOAL_INSTANCE, or
//                   "native") and a random tag drawn at the first /whoami:
//                   lets tests see which instance answered. The tag tells
//                   apart instances resumed from one snapshot, which all
//                   carry the environment of the instance that saved it.
#include <sys/random.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "../common/server.hpp"

using shop::Request;
using shop::Response;

namespace {

constexpr long kMaxSize = 1 << 20;

std::string make_body(long size) {
  if (size == 13) return "hello, world\n";
  std::string body(size, 'x');
  if (size > 0) body.back() = '\n';
  return body;
}

// Drawn on first use, after any snapshot was taken (a snapshot is saved
// before the first request), so each resumed instance draws its own.
const std::string& instance_tag() {
  static const std::string tag = [] {
    unsigned char b[4] = {};
    if (getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b)) return std::string("????????");
    char hex[9];
    std::snprintf(hex, sizeof hex, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
    return std::string(hex);
  }();
  return tag;
}

bool parse_size(const std::string& text, long& size) {
  char* end = nullptr;
  size = std::strtol(text.c_str(), &end, 10);
  return !text.empty() && !*end && size >= 0 && size <= kMaxSize;
}

}  // namespace

int main(int argc, char** argv) {
  shop::ServerOptions options = shop::parse_options("hello", argc, argv);
  long size = 0;
  if (!parse_size(shop::option(argc, argv, "--size", "HELLO_BODY_SIZE", "13"), size)) {
    std::fprintf(stderr, "hello: body size must be 0..%ld\n", kMaxSize);
    return 2;
  }
  const Response fixed = Response::text(200, make_body(size));
  return shop::serve(options, [&](const Request& r) {
    if (r.method != "GET" && r.method != "HEAD") return Response::error(405, "use GET");
    if (r.path == "/healthz") return Response::text(200, "ok\n");
    if (r.path == "/whoami") {
      const char* who = std::getenv("SHOAL_INSTANCE");
      return Response::text(200, std::string(who ? who : "native") + " " + instance_tag() + "\n");
    }
    std::string asked = r.query_param("size");
    if (asked.empty()) return fixed;
    long n = 0;
    if (!parse_size(asked, n)) return Response::error(400, "size must be 0..1048576");
    return Response::text(200, make_body(n));
  });
}
