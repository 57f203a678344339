-- B4: GET /api/v1/nutrition/plans/{id}/ (plan -> days -> meals -> items ->
-- foods, with totals). Plans are private, so each request picks a random
-- seeded plan and sends its owner's token.
--
-- Usage: wrk ... -s b4_plan_detail.lua http://HOST:PORT/api/v1/nutrition/plans/ \
--          -- <access_token_file> <plans_file>
--
-- The plans file (seed.py --stage nutrition --plans-out) holds
-- "<user index> <plan id>" lines; the index is 1-based into the token file
-- (which is in user order). Errors: any status but 200, and a 200 without a
-- non-empty "days" list holding meal items (see bench_common.lua).

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "bench_common.lua")

wrk.method = "GET"

common.install(function(body)
   return body:find('"days"%s*:%s*%[%s*{') ~= nil and body:find('"items"%s*:%s*%[%s*{') ~= nil
end)

local auth, paths
local hdrs = { Accept = "application/json" }

function init(args)
   local token_path, plans_path = args[1], args[2]
   if not token_path or not plans_path then
      error("b4_plan_detail.lua: pass -- <token_file> <plans_file>")
   end
   local tokens = common.read_lines(token_path, "access token")
   local base = wrk.path
   if not base:find("/$") then base = base .. "/" end
   auth, paths = {}, {}
   for _, line in ipairs(common.read_lines(plans_path, "plan")) do
      local idx, id = line:match("^(%d+)%s+(%d+)$")
      idx = tonumber(idx)
      if not idx or not tokens[idx] then
         error("b4_plan_detail.lua: bad line (or no such token) in " .. plans_path .. ": " .. line)
      end
      auth[#auth + 1] = "Bearer " .. tokens[idx]
      paths[#paths + 1] = base .. id .. "/"
   end
   common.seed_random(thread_index or 0)
end

function request()
   local i = math.random(#paths)
   hdrs["Authorization"] = auth[i]
   return wrk.format("GET", paths[i], hdrs)
end
