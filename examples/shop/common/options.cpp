#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace shop {

std::string option(int argc, char** argv, const std::string& flag, const char* env, const std::string& fallback) {
  // The last occurrence wins, as in most command-line tools.
  for (int i = argc - 1; i >= 1; --i) {
    if (argv[i] == flag && i + 1 < argc) return argv[i + 1];
    if (std::strncmp(argv[i], flag.c_str(), flag.size()) == 0 && argv[i][flag.size()] == '=')
      return argv[i] + flag.size() + 1;
  }
  if (env && *env)
    if (const char* value = std::getenv(env); value && *value) return value;
  return fallback;
}

ServerOptions parse_options(const std::string& name, int argc, char** argv) {
  ServerOptions o;
  o.name = name;
  std::string port = option(argc, argv, "--port", "PORT", "8080");
  port = option(argc, argv, "-p", nullptr, port);
  char* end = nullptr;
  long value = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end || value < 0 || value > 65535) {
    std::fprintf(stderr, "%s: bad port '%s' (usage: %s [--port N] [--bind ADDR])\n", name.c_str(), port.c_str(),
                 argv[0]);
    std::exit(2);
  }
  o.port = static_cast<int>(value);
  o.bind = option(argc, argv, "--bind", "BIND", o.bind);
  return o;
}

}  // namespace shop
