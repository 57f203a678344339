-- B1: GET /api/v1/workouts/workouts/?page=N (20 a page), N random over the
-- pages, as a random seeded user (Authorization: Bearer <access token>).
--
-- Usage: wrk ... -s b1_workouts_list.lua http://HOST:PORT/api/v1/workouts/workouts/ \
--          -- <access_token_file> <pages>
--
-- Each request draws a page (1..pages) and a token (any line of the file)
-- at random. Errors: any status but 200, and a 200 without a non-empty
-- "results" list (see bench_common.lua for the summary lines).

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "bench_common.lua")

wrk.method = "GET"

common.install(function(body)
   return body:find('"results"%s*:%s*%[%s*{') ~= nil
end)

local tokens, pages, base
local hdrs = { Accept = "application/json" }

function init(args)
   local path = args[1] or os.getenv("BENCH_TOKEN_FILE")
   pages = tonumber(args[2] or "")
   if not path then error("b1_workouts_list.lua: pass the token file: -- <token_file> <pages>") end
   if not pages or pages < 1 then error("b1_workouts_list.lua: pass the page count after the token file") end
   tokens = common.read_lines(path, "access token")
   base = wrk.path
   if not base:find("/$") then base = base .. "/" end
   common.seed_random(thread_index or 0)
end

function request()
   hdrs["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
   return wrk.format("GET", base .. "?page=" .. math.random(pages), hdrs)
end
