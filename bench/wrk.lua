-- wrk script for bench/over_http.py: __N__ in the path becomes a random number below VARY
-- (so /r/ and resolve meet the whole route table), __N__ in a body a unique one (so each
-- webhook body carries new alerts); at the end one JSON line with what the table needs.
local counter = 0
local names = VARY
math.randomseed(7)

request = function()
  counter = counter + 1
  local path = wrk.path
  if names > 0 then
    path = string.gsub(path, "__N__", tostring(math.random(0, names - 1)))
  end
  local body = wrk.body
  if body then
    local unique = tostring(counter) .. "-" .. tostring(math.random(1, 1e9))
    body = string.gsub(body, "__N__", unique)
  end
  return wrk.format(nil, path, nil, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "JSON {\"p50\": %d, \"p99\": %d, \"requests\": %d, \"errors\": %d, \"seconds\": %f}\n",
    latency:percentile(50), latency:percentile(99), summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout, summary.duration / 1e6))
end
