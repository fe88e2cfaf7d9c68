-- The URL given to wrk, again and again, with "Authorization: Bearer $BENCH_TOKEN".
local token = os.getenv("BENCH_TOKEN")

function make_request()
  return wrk.format(nil, wrk.path, { ["Authorization"] = "Bearer " .. token })
end

dofile(os.getenv("BENCH_LUA_DIR") .. "/cycle.lua")
