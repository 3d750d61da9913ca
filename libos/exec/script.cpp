// #! lines (exec/script.hpp), parsed as Linux 5.x's load_script does.
#include "exec/script.hpp"

#include "core/errno.hpp"

namespace libos::exec {

namespace {
bool blank(char c) { return c == ' ' || c == '\t'; }
}  // namespace

long parse_script(const char* buf, size_t len, ScriptLine* out) {
  if (len < 2 || buf[0] != '#' || buf[1] != '!') return 0;
  const char* end = buf + len;
  const char* nl = buf + 2;
  while (nl < end && *nl != '\n') ++nl;
  // No end of line within a full head: the line may go on past it. (A
  // shorter file ends within the head: Linux's buffer is zero past it.)
  bool cut = nl == end && len >= kScriptHeadBytes;
  const char* p = buf + 2;
  while (p < nl && blank(*p)) ++p;
  // A NUL ends the line too.
  const char* line_end = p;
  while (line_end < nl && *line_end != '\0') ++line_end;
  if (line_end < nl) cut = false;
  while (line_end > p && blank(line_end[-1])) --line_end;
  if (p == line_end) return -ENOEXEC;
  const char* name_end = p;
  while (name_end < line_end && !blank(*name_end)) ++name_end;
  // Linux refuses only a path the limit cuts: one that reaches the end of
  // the head without a blank after it.
  if (cut && name_end == end) return -ENOEXEC;
  out->interp = p;
  out->interp_len = static_cast<size_t>(name_end - p);
  const char* a = name_end;
  while (a < line_end && blank(*a)) ++a;
  if (a < line_end) {
    out->arg = a;
    out->arg_len = static_cast<size_t>(line_end - a);
  } else {
    out->arg = nullptr;
    out->arg_len = 0;
  }
  return 1;
}

}  // namespace libos::exec
