// load_spec(): the file system side of reading a spec (the file itself, the
// environment, the images it names); parse_spec() does the rest.
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <shoal/pool/spec/spec.hpp>

namespace shoal::pool::spec {
namespace {

Result<std::string> read_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(path + ": " + strerror(errno), errno);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return make_error(path + ": not a regular file");
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      return make_error(path + ": " + strerror(e), e);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxSpecBytes) {
      close(fd);
      return make_error(path + ": larger than 1M (is it a spec?)");
    }
  }
  close(fd);
  return text;
}

}  // namespace

Result<Spec> load_spec(const std::string& path) {
  std::string text = TRY(read_file(path));
  SpecEnvironment env;
  if (const char* dir = getenv("XDG_RUNTIME_DIR"); dir && dir[0] == '/') env.runtime_dir = dir;
  env.uid = getuid();
  if (const char* tmp = getenv("TMPDIR"); tmp && tmp[0] == '/') env.tmp_dir = tmp;
  SpecParse parsed = parse_spec(text, path, env);
  if (!parsed.spec) return make_error(format_errors(parsed.errors));

  Spec& spec = *parsed.spec;
  std::vector<SpecError> errors;
  for (Service& s : spec.services) {
    std::string key = "services." + s.name + ".image";
    struct stat st;
    if (stat(s.image_path.c_str(), &st) != 0)
      errors.push_back({spec.file, spec.line_of(key), 0, key, s.image_path + ": " + strerror(errno)});
    else if (!S_ISREG(st.st_mode))
      errors.push_back({spec.file, spec.line_of(key), 0, key, s.image_path + ": not a regular file"});
    // Absolute from here on: shoald spawns monitors with it and shows it in
    // `shoal ps`, whatever its working directory.
    else if (char buf[PATH_MAX]; realpath(s.image_path.c_str(), buf))
      s.image_path = buf;
    if (s.snapshot_path.empty()) continue;
    // The snapshot's header is checked by shoald (it knows the monitor's
    // format); here only that the file is there.
    key = "services." + s.name + ".snapshot";
    if (stat(s.snapshot_path.c_str(), &st) != 0)
      errors.push_back({spec.file, spec.line_of(key), 0, key, s.snapshot_path + ": " + strerror(errno)});
    else if (!S_ISREG(st.st_mode))
      errors.push_back({spec.file, spec.line_of(key), 0, key, s.snapshot_path + ": not a regular file"});
    else if (char buf[PATH_MAX]; realpath(s.snapshot_path.c_str(), buf))
      s.snapshot_path = buf;
  }
  if (!errors.empty()) return make_error(format_errors(errors));
  return std::move(spec);
}

}  // namespace shoal::pool::spec
