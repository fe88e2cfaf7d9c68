-- Byte-range GETs of one object, as a video player seeking around would send them:
-- BENCH_RANGE_BYTES at a random offset aligned to that size, inside BENCH_OBJECT_BYTES.
local object_bytes = tonumber(os.getenv("BENCH_OBJECT_BYTES"))
local range_bytes = tonumber(os.getenv("BENCH_RANGE_BYTES"))

function make_request()
  local first = math.random(0, math.floor(object_bytes / range_bytes) - 1) * range_bytes
  local last = first + range_bytes - 1
  return wrk.format(nil, nil, {["Range"] = "bytes=" .. first .. "-" .. last})
end

dofile(os.getenv("BENCH_LUA_DIR") .. "/cycle.lua")
