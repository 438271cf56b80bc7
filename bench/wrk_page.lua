-- wrk script for bench/national.py: one page (GET, or POST with a fresh body
-- per request), a session cookie, and a JSON summary at the end with the
-- latency percentiles, the status counts and the Server-Timing sums
-- (time inside Flask and time of its SQL).
--
-- Settings come from the environment (wrk passes no arguments to scripts
-- before init): BENCH_METHOD, BENCH_COOKIE, BENCH_HEADERS (lines "Name: value"),
-- BENCH_BODY (a template where {n} becomes a number unique to the request),
-- BENCH_OUT (where the JSON goes).

local method = os.getenv("BENCH_METHOD") or "GET"
local cookie = os.getenv("BENCH_COOKIE") or ""
local extra = os.getenv("BENCH_HEADERS") or ""
local body_template = os.getenv("BENCH_BODY") or ""
local out_path = os.getenv("BENCH_OUT") or "/dev/stdout"

local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  app_ms, sql_ms, statements, timed = 0.0, 0.0, 0, 0
  statuses = {}
  headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  for line in string.gmatch(extra, "[^\n]+") do
    local name, value = string.match(line, "^([^:]+):%s*(.*)$")
    if name then headers[name] = value end
  end
end

function request()
  if method == "GET" then
    return wrk.format("GET", nil, headers, nil)
  end
  counter = counter + 1
  local n = tostring(thread_no * 10000000 + counter)
  local body = string.gsub(body_template, "{n}", n)
  local h = {}
  for k, v in pairs(headers) do h[k] = (string.gsub(v, "{n}", n)) end
  return wrk.format(method, nil, h, body)
end

function response(status, hdrs, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  local timing = hdrs["Server-Timing"] or hdrs["server-timing"]
  if timing then
    local a = string.match(timing, "app;dur=([%d%.]+)")
    local s, c = string.match(timing, "sql;dur=([%d%.]+);desc=\"(%d+)\"")
    if a and s then
      app_ms = app_ms + tonumber(a)
      sql_ms = sql_ms + tonumber(s)
      statements = statements + tonumber(c)
      timed = timed + 1
    end
  end
end

function done(summary, latency, requests)
  local app, sql, stmts, n = 0.0, 0.0, 0, 0
  local merged = {}
  for _, t in ipairs(threads) do
    app = app + t:get("app_ms")
    sql = sql + t:get("sql_ms")
    stmts = stmts + t:get("statements")
    n = n + t:get("timed")
    local st = t:get("statuses")
    for k, v in pairs(st) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%s": %d', k, v)) end
  local f = io.open(out_path, "w")
  f:write(string.format(
    '{"requests": %d, "duration_s": %.3f, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, ' ..
    '"latency_ms": {"p50": %.2f, "p95": %.2f, "p99": %.2f, "max": %.2f, "mean": %.2f}, ' ..
    '"statuses": {%s}, "timed": %d, "app_ms_sum": %.2f, "sql_ms_sum": %.2f, "statements_sum": %d}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    table.concat(parts, ", "), n, app, sql, stmts))
  f:close()
end
