-- Lua 5.4: tables, closures, string patterns, coroutines, integer/float math, os/io.
local t = {}
for i = 1, 10 do t[#t + 1] = i * i end
print(table.concat(t, ","))
local function counter() local n = 0; return function() n = n + 1; return n end end
local c = counter(); c(); c(); print("counter", c())
for k, v in string.gmatch("a=1, b=22, c=333", "(%w+)=(%w+)") do io.write(k, ":", v, " ") end
print()
local co = coroutine.create(function(a) local b = coroutine.yield(a + 1); return b * 2 end)
print(coroutine.resume(co, 1)); print(coroutine.resume(co, 21))
print(7 // 2, 7 / 2, 2^10, math.maxinteger, string.format("%.3f %5d %q", math.pi, 42, "x\n"))
local words = {}
for w in ("the quick brown fox jumps over the lazy dog"):gmatch("%a+") do words[#words + 1] = w end
table.sort(words); print(#words, table.concat(words, " "))
print(select("#", 1, nil, 3), type(io.stdout), os.time{year=2020, month=1, day=1, hour=12})
local f = assert(io.open("/tmp/lua-test.txt", "w")); f:write("line1\nline2\n"); f:close()
for line in io.lines("/tmp/lua-test.txt") do print("read", line) end
os.remove("/tmp/lua-test.txt")
print(pcall(error, {code = 7}), utf8.char(72, 228, 8364), utf8.len("häé"))
os.exit(5)
