-- A list endpoint at random pages 1..BENCH_PAGES (query string BENCH_QUERY&page=N).
local pages = tonumber(os.getenv("BENCH_PAGES"))
local query = os.getenv("BENCH_QUERY")

function make_request()
  return wrk.format(nil, wrk.path .. "?" .. query .. "&page=" .. math.random(1, pages))
end

dofile(os.getenv("BENCH_LUA_DIR") .. "/cycle.lua")
