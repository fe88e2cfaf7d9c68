-- Shared by scripts whose requests vary: each thread builds 1024 requests once, in init(),
-- with the script's make_request(), and cycles through them (building a request for each
-- send would cost wrk more time than the server). Also loads the JSON report.
local threads = 0
local prepared = {}
local next_index = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  math.randomseed(7919 * (thread_number or 1))
  for i = 1, 1024 do
    prepared[i] = make_request()
  end
end

function request()
  next_index = next_index % #prepared + 1
  return prepared[next_index]
end

dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
