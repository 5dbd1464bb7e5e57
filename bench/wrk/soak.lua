-- wrk script for the soak (bench/soak.sh): a mix of operations on one
-- connection pool, each request drawn at random by weight:
--   status   me { signInStatus }                          (user token)
--   ledger   me { wallet { balance transactions(first: 20) } }  (user token)
--   spend    spend(amount: 1) with a fresh idempotency key (user token)
--   history  signInHistory of 50 users x 7 days           (admin token)
--   signin   signIn                                       (user token)
-- Arguments (after `--`), key=value:
--   tokens=FILE    user bearer tokens, one a line (a random one per request)
--   admin=FILE     the admin's bearer token (first line)
--   history=FILE   signInHistory bodies, one JSON document a line (cycled)
--   mix=50,20,17,8,5   weights of status,ledger,spend,history,signin
--   expected=ALREADY_SIGNED_IN,INSUFFICIENT_FUNDS   GraphQL error codes that
--                  are answers, not failures (a second sign-in the same day,
--                  a spend larger than the balance)
--   run=ID         makes the idempotency keys unique across runs
-- A request fails if its status is not 200 or its response carries a GraphQL
-- error whose extensions.code is not in `expected` (or has no code).
-- Prints one line "SOAKJSON {...}".

local threads = {}
local counter = 0
local KINDS = { "status", "ledger", "spend", "history", "signin" }

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

local function split(s)
  local t = {}
  for part in string.gmatch(s, "[^,]+") do t[#t + 1] = part end
  return t
end

local BODIES = {
  status = '{"query":"{ me { signInStatus { today streak cycleDay todayReward signedInToday } } }"}',
  ledger = '{"query":"{ me { wallet { balance transactions(first: 20) '
    .. '{ edges { cursor node { id amount kind balanceAfter note createdAt } } pageInfo { hasNextPage endCursor } } } } }"}',
  signin = '{"query":"mutation { signIn { record { date cycleDay streak reward rewardCredited } } }"}',
}

function init(args)
  local opts = {}
  for _, a in ipairs(args) do
    local k, v = a:match("^([%w_]+)=(.*)$")
    if k then opts[k] = v end
  end
  tokens = read_lines(opts.tokens)
  admin = read_lines(opts.admin)[1]
  history = read_lines(opts.history)
  run_id = opts.run or tostring(os.time())
  expected = {}
  for _, code in ipairs(split(opts.expected or "ALREADY_SIGNED_IN,INSUFFICIENT_FUNDS")) do
    expected[code] = true
  end
  local weights = split(opts.mix or "50,20,17,8,5")
  cumulative, total = {}, 0
  for i, kind in ipairs(KINDS) do
    total = total + tonumber(weights[i] or "0")
    cumulative[i] = total
  end
  math.randomseed(os.time() + 7919 * tid)
  history_i, spends = tid, 0
  sent = {}
  for _, kind in ipairs(KINDS) do sent[kind] = 0 end
  codes = {}
  non200, failed, first_failure = 0, 0, ""
end

local function pick()
  local r = math.random() * total
  for i, kind in ipairs(KINDS) do
    if r < cumulative[i] then return kind end
  end
  return KINDS[#KINDS]
end

function request()
  local kind = pick()
  sent[kind] = sent[kind] + 1
  local token, body
  if kind == "history" then
    token = admin
    history_i = history_i % #history + 1
    body = history[history_i]
  else
    token = tokens[math.random(#tokens)]
    if kind == "spend" then
      spends = spends + 1
      body = string.format(
        '{"query":"mutation($k:String!){ spend(amount: 1, idempotencyKey: $k, note: \\"soak\\") '
          .. '{ id amount balanceAfter } }","variables":{"k":"soak-%s-%d-%d"}}',
        run_id, tid, spends)
    else
      body = BODIES[kind]
    end
  end
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
  return wrk.format("POST", "/graphql", headers, body)
end

function response(status, headers, body)
  local bad = false
  if status ~= 200 then
    non200 = non200 + 1
    bad = true
  end
  if string.find(body, '"errors"', 1, true) then
    local any = false
    for code in string.gmatch(body, '"code"%s*:%s*"([%w_]+)"') do
      any = true
      codes[code] = (codes[code] or 0) + 1
      if not expected[code] then bad = true end
    end
    if not any then
      codes["(none)"] = (codes["(none)"] or 0) + 1
      bad = true
    end
  end
  if bad then
    failed = failed + 1
    if first_failure == "" then
      first_failure = "HTTP " .. status .. ": " .. string.sub(body, 1, 600)
    end
  end
end

local function json_string(s)
  s = s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('[%c]', ' ')
  return '"' .. s .. '"'
end

local function add(acc, t)
  for k, v in pairs(t or {}) do acc[k] = (acc[k] or 0) + v end
end

local function json_object(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = json_string(k) .. ":" .. t[k] end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local all_codes, all_sent, n2, fl, ff = {}, {}, 0, 0, ""
  for _, t in ipairs(threads) do
    add(all_codes, t:get("codes"))
    add(all_sent, t:get("sent"))
    n2 = n2 + (t:get("non200") or 0)
    fl = fl + (t:get("failed") or 0)
    local f = t:get("first_failure")
    if ff == "" and f and f ~= "" then ff = f end
  end
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'SOAKJSON {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,'
      .. '"socket_errors":%d,"timeouts":%d,"non200":%d,"failed_responses":%d,"codes":%s,"sent":%s,'
      .. '"first_failure":%s}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write, e.timeout, n2, fl,
    json_object(all_codes), json_object(all_sent), json_string(ff)))
end

