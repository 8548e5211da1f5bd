-- wrk script: POST /v1/ecgs with 12 leads x 5000 samples and a fresh Idempotency-Key per request.
local counter = 0
local thread_id = 0
local body

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  math.randomseed(os.time() + (tid or 0))
  local names = {"I","II","III","aVR","aVL","aVF","V1","V2","V3","V4","V5","V6"}
  local leads = {}
  for i, name in ipairs(names) do
    local samples = {}
    for s = 1, 5000 do samples[s] = tostring(math.random(-2000, 2000)) end
    leads[i] = '"' .. name .. '":[' .. table.concat(samples, ",") .. ']'
  end
  body = '{"patientRef":"bench-' .. (tid or 0) .. '","recordedAt":"2026-01-01T00:00:00Z","samplingRateHz":500,'
      .. '"device":"wrk","leads":{' .. table.concat(leads, ",") .. '}}'
end

function request()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
  headers["Idempotency-Key"] = "bench-" .. os.time() .. "-" .. (tid or 0) .. "-" .. counter
  return wrk.format("POST", "/v1/ecgs", headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx/3xx: %d\n", summary.errors.status))
end
