// #! scripts, as Linux's binfmt_script reads them: "#!" then the
// interpreter's path and at most one argument (the rest of the line, blanks
// around it stripped), within the first 256 bytes of the file.
#pragma once

#include <stddef.h>

namespace libos::exec {

inline constexpr size_t kScriptHeadBytes = 256;  // BINPRM_BUF_SIZE

struct ScriptLine {
  const char* interp = nullptr;  // inside the buffer given, not NUL-terminated
  size_t interp_len = 0;
  const char* arg = nullptr;  // nullptr: no argument
  size_t arg_len = 0;
};

// 1 if buf[0, len) starts a script (out filled), 0 if it does not start with
// "#!", -ENOEXEC for a "#!" line without an interpreter or whose
// interpreter's path is cut by the 256-byte limit.
long parse_script(const char* buf, size_t len, ScriptLine* out);

}  // namespace libos::exec
