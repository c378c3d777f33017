-- wrk script: the same pre-signed POST /v1.0/{project}/kms/create-datakey, repeated.
-- An SDK-HMAC-SHA256 signature covers the body, the host and X-Sdk-Date and nothing that
-- changes per request, and `kmscore serve` accepts an X-Sdk-Date within 15 minutes of its
-- clock: so one request, signed once by tools/kms-sign.js, may be sent over and over for up
-- to 15 minutes (every one is still verified in full by the server).
--
--   wrk -t2 -c32 -d10s --latency -s bench/http/create_datakey.lua \
--       http://127.0.0.1:PORT/v1.0/PROJECT/kms/create-datakey -- BODY_FILE HEADERS_FILE
--
-- BODY_FILE: the body, sent byte for byte, e.g. {"key_id":"...","datakey_length":"512"}.
-- HEADERS_FILE: what `node tools/kms-sign.js POST URL AK SK BODY_FILE` printed for the very
-- same URL (wrk sends Host as HOST:PORT from the URL, as the signer signs it).
-- scripts/bench http prepares both. The request is built once per thread (init); no
-- response() callback, so wrk does not parse bodies. At the end one line for scripts/bench:
--   kms-bench requests=N duration_us=N rps=N p50_us=N p99_us=N non2xx=N socket_errors=N
-- (non2xx is wrk's count of answers with a status above 399; none other occur here).

local function slurp(path)
  local file = assert(io.open(path, "rb"))
  local text = file:read("*a")
  file:close()
  return text
end

function init(args)
  if #args ~= 2 then
    error("usage: wrk ... -s create_datakey.lua URL -- BODY_FILE HEADERS_FILE")
  end
  wrk.method = "POST"
  wrk.body = slurp(args[1])
  local count = 0
  for line in slurp(args[2]):gmatch("[^\r\n]+") do
    local name, value = line:match("^([%w-]+):%s*(.-)%s*$")
    if not name then error("not a header line: " .. line) end
    wrk.headers[name] = value
    count = count + 1
  end
  if not wrk.headers["Authorization"] or not wrk.headers["X-Sdk-Date"] then
    error(args[2] .. " has no Authorization or X-Sdk-Date (" .. count .. " headers)")
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "kms-bench requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
