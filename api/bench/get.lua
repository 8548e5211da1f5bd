-- wrk script: GET a path (env BENCH_PATH) with the bearer token (env TOKEN).
function request()
  return wrk.format("GET", os.getenv("BENCH_PATH"), { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") })
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx/3xx: %d\n", summary.errors.status))
end
