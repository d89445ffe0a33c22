-- Prints one machine-readable line at the end of a wrk run: totals, errors and latency
-- percentiles (microseconds), plus the per-status counts when statuses.lua is loaded too.
local function encode(value)
  if type(value) == "table" then
    local parts = {}
    for k, v in pairs(value) do
      parts[#parts + 1] = string.format("%q:%s", tostring(k), encode(v))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return tostring(value)
end

function done(summary, latency, requests)
  local result = {
    requests = summary.requests,
    duration_us = summary.duration,
    bytes = summary.bytes,
    errors = summary.errors,
    latency_us = {
      p50 = latency:percentile(50),
      p90 = latency:percentile(90),
      p99 = latency:percentile(99),
      max = latency.max,
      mean = latency.mean,
    },
    statuses = collect_statuses and collect_statuses() or {},
  }
  io.write("WRK_RESULT ", encode(result), "\n")
end
