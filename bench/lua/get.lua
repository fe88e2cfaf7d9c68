-- The URL given to wrk, again and again.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
