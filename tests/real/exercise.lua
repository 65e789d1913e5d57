-- Exercises Lua 5.4 for the real-program tests: strings, tables, math, closures, integer and
-- float arithmetic, io on files in the granted directory, and os.exit for the exit status.
-- Usage: lua_main exercise.lua DIR   (DIR: a directory the program may write)
local dir = assert(arg[1], "usage: exercise.lua DIR")
assert(select("#", ...) == 1 and ... == dir, "varargs carry the script arguments")

-- strings and patterns
local s = "The quick brown fox jumps over the lazy dog"
local words = {}
for w in s:gmatch("%a+") do words[#words + 1] = w:lower() end
print("words", #words, table.concat(words, ","))
print("upper", s:upper():sub(5, 9), s:find("fox"), s:rep(2, "|"):len())
print("gsub", (s:gsub("(%w+) (%w+)", "%2 %1")))
print("format", string.format("%5.2f|%-4d|%x|%q|%s", math.pi, 42, 255, "a\nb", nil))
print("utf8", utf8.len("héllo"), utf8.char(72, 233, 8364))
print("bytes", string.byte("ABC", 1, -1), string.char(104, 105))

-- tables: sort with a closure comparator, nested tables, length, next/pairs over sorted keys
local people = {
  { name = "carol", age = 35 }, { name = "alice", age = 30 }, { name = "bob", age = 30 },
}
table.sort(people, function(a, b)
  if a.age ~= b.age then return a.age < b.age end
  return a.name < b.name
end)
local names = {}
for i, p in ipairs(people) do names[i] = p.name .. ":" .. p.age end
print("sorted", table.concat(names, " "))
local t = {}
for i = 1, 10 do t[i] = i * i end
table.insert(t, 1, 0)
print("table", #t, table.remove(t), table.concat(t, ",", 1, 5), table.unpack({ 1, 2, 3 }))
local keys = {}
for k in pairs({ x = 1, y = 2, z = 3 }) do keys[#keys + 1] = k end
table.sort(keys)
print("keys", table.concat(keys))

-- math: integers vs floats, integer division, overflow wrap, conversions
print("math", 7 // 2, 7 / 2, 7 % -3, 2 ^ 10, math.maxinteger + 1 == math.mininteger)
print("math2", math.floor(-3.5), math.ceil(-3.5), math.abs(-7), math.max(3, 9, 1),
  math.tointeger(8.0), math.type(1), math.type(1.0), 0x7fffffff * 2, 1e15 + 0.5)
print("sqrt", string.format("%.10f", math.sqrt(2)), math.fmod(10, 3), tostring(1 / 0), tostring(0/0) == tostring(0/0))

-- closures: counters with shared upvalues, recursion, varargs
local function counter()
  local n = 0
  return function() n = n + 1; return n end, function() return n end
end
local inc, get = counter()
inc(); inc(); inc()
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local function sum(...)
  local total = 0
  for _, v in ipairs({ ... }) do total = total + v end
  return total, select("#", ...)
end
print("closures", get(), fib(25), sum(1, 2, 3, 4))

-- metatables
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({ x = a.x + b.x }, V) end
V.__tostring = function(v) return "V(" .. v.x .. ")" end
print("meta", tostring(setmetatable({ x = 2 }, V) + setmetatable({ x = 40 }, V)))

-- io: write a file in the granted directory, append, read it back several ways
local path = dir .. "/out.txt"
local f = assert(io.open(path, "w"))
for i = 1, 5 do f:write("line ", i, "\n") end
f:close()
f = assert(io.open(path, "a"))
f:write(string.format("%d squares sum to %d\n", 10, 385))
f:close()
local lines = {}
for line in io.lines(path) do lines[#lines + 1] = line end
print("io lines", #lines, lines[1], lines[#lines])
f = assert(io.open(path, "r"))
local all = f:read("a")
print("io size", #all, f:seek("set", 5), f:read("n"), f:seek("end"))
f:close()
print("io missing", io.open(dir .. "/no/such/file", "r"))
print("os", type(os.time()), type(os.clock()), os.getenv("LUA_TEST_VAR"), os.getenv("HOME"))
print("escape", select(2, io.open(dir .. "/../escape.txt", "w")))
print("escape", select(2, io.open("/etc/hostname", "r")))
print("remove", os.rename(path, dir .. "/renamed.txt"), io.open(path) == nil)

io.stdout:write("exiting with 3\n")
os.exit(3)
