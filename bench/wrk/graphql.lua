-- wrk script for the bench: POSTs GraphQL bodies to /graphql, each request
-- with a bearer token, and checks every response for GraphQL errors.
-- Arguments (after `--`), key=value:
--   bodies=FILE   request bodies, one JSON document a line (cycled)
--   tokens=FILE   bearer tokens, one a line (optional)
--   mode=seq      each token once: thread i takes tokens i, i+T, i+2T, ...
--                 (T = threads=N); if they run out it wraps and counts it
--   mode=random   a random token per request (default)
--   threads=N     the -t given to wrk
-- Prints one line "BENCHJSON {...}" with the latency percentiles (ms),
-- requests/s and error counts.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function read_lines(path)
  local t = {}
  for line in io.lines(path) do
    if #line > 0 then t[#t + 1] = line end
  end
  return t
end

function init(args)
  local opts = {}
  for _, a in ipairs(args) do
    local k, v = a:match("^([%w_]+)=(.*)$")
    if k then opts[k] = v end
  end
  nthreads = tonumber(opts.threads or "1")
  mode = opts.mode or "random"
  tokens = opts.tokens and read_lines(opts.tokens) or nil
  bodies = read_lines(opts.bodies)
  next_tok = tid + 1
  body_i = tid
  math.randomseed(4242 + 97 * tid)
  gql_errors, non200, wrapped = 0, 0, 0
  first_error = ""
end

function request()
  local headers = { ["Content-Type"] = "application/json" }
  if tokens then
    local t
    if mode == "seq" then
      if next_tok > #tokens then
        next_tok = ((next_tok - 1) % #tokens) + 1
        wrapped = wrapped + 1
      end
      t = tokens[next_tok]
      next_tok = next_tok + nthreads
    else
      t = tokens[math.random(#tokens)]
    end
    headers["Authorization"] = "Bearer " .. t
  end
  body_i = body_i % #bodies + 1
  return wrk.format("POST", "/graphql", headers, bodies[body_i])
end

function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
  if string.find(body, '"errors"', 1, true) then
    gql_errors = gql_errors + 1
    if first_error == "" then first_error = string.sub(body, 1, 600) end
  end
end

local function json_string(s)
  s = s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('[%c]', ' ')
  return '"' .. s .. '"'
end

function done(summary, latency, requests)
  local ge, n2, wr, fe = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    ge = ge + (t:get("gql_errors") or 0)
    n2 = n2 + (t:get("non200") or 0)
    wr = wr + (t:get("wrapped") or 0)
    local e = t:get("first_error")
    if fe == "" and e and e ~= "" then fe = e end
  end
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,'
      .. '"max_ms":%.3f,"mean_ms":%.3f,"socket_errors":%d,"timeouts":%d,"non200":%d,"graphql_errors":%d,'
      .. '"tokens_wrapped":%d,"first_error":%s}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    e.connect + e.read + e.write, e.timeout, n2, ge, wr, json_string(fe)))
end
