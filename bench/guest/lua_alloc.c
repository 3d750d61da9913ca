// bench/guest/lua_alloc: an allocation-heavy Lua 5.4 loop (tables and strings)
// in Debian's static liblua5.4.a behind a tiny C main. The Lua code times
// itself with os.clock-free wall time from the C side, so only the loop is
// measured (not boot). bench/runtimes runs it natively and under shoal.
//
//   lua_alloc [N] [keep]   prints "lua ms <x> result <checksum>"
// With "keep" every round's table stays reachable, so the heap grows with N
// (~1 MB a round) instead of being reused: the pattern that pays for first
// touches of fresh memory.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

static const char* kScript =
    "local n, keep = ...\n"
    "local acc, kept = 0, {}\n"
    "for round = 1, n do\n"
    "  local t = {}\n"
    "  for i = 1, 2000 do\n"
    "    t[i] = { id = i, name = 'item' .. i .. ':' .. round, tags = { i % 7, i % 11 } }\n"
    "  end\n"
    "  local parts = {}\n"
    "  for i = 1, #t, 3 do parts[#parts + 1] = t[i].name end\n"
    "  local s = table.concat(parts, ',')\n"
    "  acc = (acc + #s + t[#t].tags[1] + t[#t].tags[2]) % 1000000007\n"
    "  if keep then kept[round] = t end\n"
    "end\n"
    "return acc\n";

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  long n = argc > 1 ? strtol(argv[1], 0, 10) : 100;
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_loadstring(L, kScript) != LUA_OK) {
    fprintf(stderr, "lua_alloc: %s\n", lua_tostring(L, -1));
    return 1;
  }
  lua_pushinteger(L, n);
  lua_pushboolean(L, argc > 2 && !strcmp(argv[2], "keep"));
  double t0 = now_ms();
  if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
    fprintf(stderr, "lua_alloc: %s\n", lua_tostring(L, -1));
    return 1;
  }
  double ms = now_ms() - t0;
  printf("lua ms %.1f result %lld\n", ms, (long long)lua_tointeger(L, -1));
  lua_close(L);
  return 0;
}
