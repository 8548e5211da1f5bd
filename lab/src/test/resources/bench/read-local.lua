-- wrk script of ReadLocalBenchmark (-Dbench.client=wrk): GET /v1/ecgs/{id} of a random recording from the ids in
-- the file IDS_FILE (one per line), with the bearer token TOKEN.
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do
  ids[#ids + 1] = line
end
local auth = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }

function request()
  return wrk.format("GET", "/v1/ecgs/" .. ids[math.random(#ids)], auth)
end
