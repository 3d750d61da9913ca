// Command-line and environment settings every shop service shares.
#pragma once

#include <string>

namespace shop {

struct ServerOptions {
  std::string name;               // for the start-up line
  std::string bind = "0.0.0.0";   // --bind ADDR, or BIND
  int port = 8080;                // --port N (or -p N), or PORT; 0 picks a free port
};

// Reads --port/-p and --bind (also --port=N), falling back to the PORT and
// BIND environment variables, then to 0.0.0.0:8080. Exits with a usage
// message on a bad value.
ServerOptions parse_options(const std::string& name, int argc, char** argv);

// Value of the last `--flag VALUE` or `--flag=VALUE`, else of the environment
// variable `env` (when not empty), else `fallback`.
std::string option(int argc, char** argv, const std::string& flag, const char* env, const std::string& fallback);

}  // namespace shop
