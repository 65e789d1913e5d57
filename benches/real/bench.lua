-- A Lua workload for the interpreter benchmark (benches/run.py): binary trees, a string
-- builder, table-heavy word counting, closures and floating-point n-body steps, scaled by N.
-- Usage: lua_main bench.lua N      Prints one checksum line.
local n = tonumber(arg and arg[1] or 1) or 1

local function tree(depth)
  if depth == 0 then return {} end
  return { tree(depth - 1), tree(depth - 1) }
end
local function check(t)
  if t[1] == nil then return 1 end
  return 1 + check(t[1]) + check(t[2])
end

local sum = 0
for i = 1, n do
  -- binary trees (allocation, GC, recursion)
  sum = sum + check(tree(12))

  -- string building and patterns
  local parts = {}
  for j = 1, 2000 do parts[#parts + 1] = string.format("%d:%x;", j, j * i) end
  local s = table.concat(parts)
  local count = 0
  for a, b in s:gmatch("(%d+):(%x+);") do count = count + #a + #b end
  sum = sum + count

  -- hash tables keyed by strings
  local words = {}
  for j = 1, 3000 do
    local w = "w" .. (j * 7919 % 997)
    words[w] = (words[w] or 0) + 1
  end
  local keys = {}
  for k in pairs(words) do keys[#keys + 1] = k end
  table.sort(keys)
  sum = sum + #keys + words[keys[1]]

  -- closures and floats
  local function make(k) return function(x) return x * k + 0.5 end end
  local f, x = make(1.0000001), 1.0
  for _ = 1, 20000 do x = f(x) end
  sum = sum + math.floor(x)
end
print(sum)
