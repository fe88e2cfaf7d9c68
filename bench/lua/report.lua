-- Shared by every bench script: print the run's numbers as one JSON line that
-- bench/load.py picks out of wrk's output (latencies in microseconds).
function done(summary, latency, requests)
  local percentiles = {}
  for _, q in ipairs({50, 75, 90, 99, 99.9}) do
    percentiles[#percentiles + 1] = string.format('"%s": %d', tostring(q), latency:percentile(q))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us": %d, "requests": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "max": %d, "mean": %.1f, "stdev": %.1f, "percentiles": {%s}}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean, latency.stdev, table.concat(percentiles, ", ")))
end
