-- B3: GET /api/v1/nutrition/foods/?search=TERM (ranked text search, default
-- page size 20), TERM random from a fixed list of 50 common foods, as a
-- random seeded user (Authorization: Bearer <access token>).
--
-- Usage: wrk ... -s b3_food_search.lua http://HOST:PORT/api/v1/nutrition/foods/ \
--          -- <access_token_file> <terms_file>
--
-- The terms file is b3_terms.txt (one term per line); seed.py's nutrition
-- stage checks that each finds public foods. Errors: any status but 200, and
-- a 200 without a non-empty "results" list (see bench_common.lua).

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "bench_common.lua")

wrk.method = "GET"

common.install(function(body)
   return body:find('"results"%s*:%s*%[%s*{') ~= nil
end)

local tokens, paths
local hdrs = { Accept = "application/json" }

local function urlencode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
   local token_path, terms_path = args[1], args[2]
   if not token_path or not terms_path then
      error("b3_food_search.lua: pass -- <token_file> <terms_file>")
   end
   tokens = common.read_lines(token_path, "access token")
   local base = wrk.path
   if not base:find("/$") then base = base .. "/" end
   paths = {}
   for _, term in ipairs(common.read_lines(terms_path, "search term")) do
      if term:sub(1, 1) ~= "#" then paths[#paths + 1] = base .. "?search=" .. urlencode(term) end
   end
   common.seed_random(thread_index or 0)
end

function request()
   hdrs["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
   return wrk.format("GET", paths[math.random(#paths)], hdrs)
end
