-- wrk script for the 304 case: every request revalidates with the ETag the server
-- gave on a first request (postd's for postd, nginx's own for nginx). bench/run.sh
-- passes it in BENCH_ETAG, quotes included, e.g. "\"5f1c-1a2b\"".
local etag = os.getenv("BENCH_ETAG")
if etag == nil or etag == "" then
    error("BENCH_ETAG is not set")
end
wrk.headers["If-None-Match"] = etag
