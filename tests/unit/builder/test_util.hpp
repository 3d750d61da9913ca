// Helpers for builder tests: a scratch directory, compiling small programs
// with the system's compilers, running commands.
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

namespace shoal::test {

// A directory under /tmp removed at exit of the test process.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/shoal-builder-test-XXXXXX";
    std::string d = mkdtemp(tmpl);
    return d;
  }();
  return dir;
}

inline std::string write_text(const std::string& name, const std::string& text) {
  std::string path = scratch_dir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

struct Output {
  int status = -1;
  std::string out;
};

// Runs `cmd` with sh, capturing stdout (stderr goes to the test log).
inline Output run(const std::string& cmd) {
  Output o;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return o;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  int st = pclose(p);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return o;
}

// Compiles `source` (written to the scratch dir as `name` + ext) with
// `compiler` and `flags`; returns the program path or "" on failure.
inline std::string compile(const std::string& name, const std::string& ext, const std::string& source,
                           const std::string& compiler, const std::string& flags) {
  std::string src = write_text(name + ext, source);
  std::string out = scratch_dir() + "/" + name;
  std::string cmd = compiler + " " + flags + " " + src + " -o " + out + " 2>&1";
  if (run(cmd).status != 0) return "";
  return out;
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

inline const char* kHelloC = R"(#include <stdio.h>
int main(int argc, char** argv) { printf("hello, world %d argc=%d\n", 42, argc); return 3; }
)";

}  // namespace shoal::test
