-- The URL given to wrk, again and again, with "Cookie: $BENCH_COOKIE".
local cookie = os.getenv("BENCH_COOKIE")

function make_request()
  return wrk.format(nil, wrk.path, { ["Cookie"] = cookie })
end

dofile(os.getenv("BENCH_LUA_DIR") .. "/cycle.lua")
