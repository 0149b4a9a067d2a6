-- wrk script of bench/run.py: POST a multipart form as a browser sends it (an empty file part
-- included), each request with its own title so that each makes a new item. The fields, the
-- path and the cookie come from the environment (BENCH_PATH, BENCH_COOKIE, BENCH_FIELDS as
-- name=value lines); done() prints one JSON line with the figures. BENCH_NONCE, new for each
-- run of wrk, goes in every title too: without it a later run would send the titles of an
-- earlier one (Lua's random numbers start from the same seed), and the form POSTs, with the same
-- session, form key and content, would be repeats that make no item.
local boundary = "----benchBoundary7MA4YWxkTrZu0gW"
local counter = 0
-- A global, not a local: setup() sets it in each thread (a local here would stay 0 in both
-- threads, whose titles would then be the same, and the form POSTs repeats of each other).
thread_id = 0
local fields = {}
local path = os.getenv("BENCH_PATH")
local nonce = os.getenv("BENCH_NONCE") or ""
local cookie = os.getenv("BENCH_COOKIE") or ""
for line in string.gmatch(os.getenv("BENCH_FIELDS") or "", "[^\n]+") do
  local k, v = string.match(line, "^([^=]+)=(.*)$")
  if k then table.insert(fields, {k, v}) end
end

function setup(thread)
  thread:set("thread_id", math.random(1, 1000000000))
end

local function urlencode(text)
  return (string.gsub(text, "[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  counter = counter + 1
  if os.getenv("BENCH_ENCODING") == "urlencoded" then
    local pairs_ = {}
    for _, kv in ipairs(fields) do
      local value = kv[2]
      if kv[1] == "title" or kv[1] == "description" then value = value .. " " .. nonce .. thread_id .. "-" .. counter end
      table.insert(pairs_, urlencode(kv[1]) .. "=" .. urlencode(value))
    end
    return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded"}, table.concat(pairs_, "&"))
  end
  local parts = {}
  for _, kv in ipairs(fields) do
    local value = kv[2]
    if kv[1] == "title" then value = value .. " " .. nonce .. thread_id .. "-" .. counter end
    table.insert(parts, "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. kv[1] .. "\"\r\n\r\n" .. value .. "\r\n")
  end
  table.insert(parts, "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"\"\r\n" ..
               "Content-Type: application/octet-stream\r\n\r\n\r\n")
  table.insert(parts, "--" .. boundary .. "--\r\n")
  local headers = {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}
  if cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("POST", path, headers, table.concat(parts))
end

function done(summary, latency, requests)
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, "errors_status": %d, "errors_connect": %d, ' ..
    '"errors_timeout": %d, "p50_us": %d, "p99_us": %d}\n', summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect, summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
