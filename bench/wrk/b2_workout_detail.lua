-- B2: GET /api/v1/workouts/workouts/{id}/ (detail with videos and lock
-- rules), id random among the seeded workouts, as a random seeded user
-- (Authorization: Bearer <access token>).
--
-- Usage: wrk ... -s b2_workout_detail.lua http://HOST:PORT/api/v1/workouts/workouts/ \
--          -- <access_token_file> <workout_id_file>
--
-- Each request draws an id and a token at random. Errors: any status but
-- 200, and a 200 without a "videos" list (see bench_common.lua).

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "bench_common.lua")

wrk.method = "GET"

common.install(function(body)
   return body:find('"videos"%s*:%s*%[') ~= nil
end)

local tokens, ids, base
local hdrs = { Accept = "application/json" }

function init(args)
   local token_path, id_path = args[1], args[2]
   if not token_path or not id_path then
      error("b2_workout_detail.lua: pass -- <token_file> <workout_id_file>")
   end
   tokens = common.read_lines(token_path, "access token")
   ids = common.read_lines(id_path, "workout id")
   base = wrk.path
   if not base:find("/$") then base = base .. "/" end
   common.seed_random(thread_index or 0)
end

function request()
   hdrs["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
   return wrk.format("GET", base .. ids[math.random(#ids)] .. "/", hdrs)
end
