-- The same JSON POST again and again (BENCH_BODY), e.g. a sign-in.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"

dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
