-- Counts responses per HTTP status in every wrk thread; report.lua adds them up at the end.
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

counts = {}

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function collect_statuses()
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      total[status] = (total[status] or 0) + n
    end
  end
  return total
end
