-- wrk script shared by the reliability parts. Requests rotate over the entries given
-- after "--": "PATH" or "PATH|ETAG" (sent with If-None-Match: ETAG, a 304
-- revalidation). Every response is counted in response(): good = 2xx or 304, bad =
-- anything else. When a body carries titles marked " [A]" / " [B]" (reingest.sh),
-- every title in it must carry the same mark: "mixed" counts bodies with both marks,
-- "unmarked" list bodies where fewer titles are marked than there are titles.
-- done() prints one line "lua: key=value ...", summed over wrk's threads.
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    reqs = {}
    for _, a in ipairs(args) do
        local path, etag = a:match("^([^|]*)|(.*)$")
        if path then
            table.insert(reqs, wrk.format("GET", path, { ["If-None-Match"] = etag }))
        else
            table.insert(reqs, wrk.format("GET", a))
        end
    end
    if #reqs == 0 then reqs = { wrk.format("GET", "/healthz") } end
    -- each thread starts at a different place in the rotation
    i = math.random(#reqs) - 1
    responses, good, bad, not_modified = 0, 0, 0, 0
    marked, with_a, with_b, mixed, unmarked = 0, 0, 0, 0, 0
    first_bad = ""
end

function request()
    i = i % #reqs + 1
    return reqs[i]
end

local function count(s, pattern)
    local n = 0
    for _ in s:gmatch(pattern) do n = n + 1 end
    return n
end

function response(status, headers, body)
    responses = responses + 1
    if (status >= 200 and status < 300) or status == 304 then
        good = good + 1
    else
        bad = bad + 1
        if first_bad == "" then first_bad = tostring(status) end
    end
    if status == 304 then not_modified = not_modified + 1 end
    if body and #body > 0 and body:find(" %[[AB]%]\"") then
        local a = count(body, " %[A%]\"")
        local b = count(body, " %[B%]\"")
        local titles = count(body, "\"title\":")
        marked = marked + 1
        if a > 0 then with_a = with_a + 1 end
        if b > 0 then with_b = with_b + 1 end
        if a > 0 and b > 0 then mixed = mixed + 1 end
        -- lists only: a full post also holds its carousel's (unmarked) titles
        if body:sub(1, 9) == '{"data":[' and a + b < titles then unmarked = unmarked + 1 end
    end
end

function done(summary, latency, requests)
    local keys = { "responses", "good", "bad", "not_modified", "marked", "with_a", "with_b",
                   "mixed", "unmarked" }
    local sum = {}
    local fb = ""
    for _, k in ipairs(keys) do sum[k] = 0 end
    for _, t in ipairs(threads) do
        for _, k in ipairs(keys) do sum[k] = sum[k] + t:get(k) end
        if fb == "" then fb = t:get("first_bad") end
    end
    local out = "lua:"
    for _, k in ipairs(keys) do out = out .. string.format(" %s=%d", k, sum[k]) end
    out = out .. string.format(" first_bad=%s p50_us=%d p99_us=%d max_us=%d", fb ~= "" and fb or "-",
        latency:percentile(50), latency:percentile(99), latency.max)
    io.write(out .. "\n")
end
