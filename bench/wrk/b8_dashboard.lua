-- B8: GET /api/v1/users/dashboard/ (user, subscription, today's nutrition and
-- activity, workout progress, unread notifications, next meals) as a random
-- seeded user (Authorization: Bearer <access token>).
--
-- Usage: wrk ... -s b8_dashboard.lua http://HOST:PORT/api/v1/users/dashboard/ \
--          -- <access_token_file>
--
-- Errors: any status but 200, and a 200 without "today" and "next_meals"
-- (see bench_common.lua).

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "bench_common.lua")

wrk.method = "GET"

common.install(function(body)
   return body:find('"today"%s*:%s*{') ~= nil and body:find('"next_meals"%s*:%s*%[') ~= nil
end)

local tokens, path
local hdrs = { Accept = "application/json" }

function init(args)
   local token_path = args[1]
   if not token_path then error("b8_dashboard.lua: pass -- <token_file>") end
   tokens = common.read_lines(token_path, "access token")
   path = wrk.path
   common.seed_random(thread_index or 0)
end

function request()
   hdrs["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
   return wrk.format("GET", path, hdrs)
end
