-- Shared by the read workloads (B1, B2): loads the seeded access tokens (and
-- any other one-value-per-line file), picks random entries, counts statuses,
-- and prints the machine-readable summary run.sh parses.
--
-- A workload script loads it with
--   local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "bench_common.lua")
-- and then calls common.install(check), where check(body) tells whether a 200
-- body looks right. done() prints
--   bench-lua: responses=N non200=N reused=0 parse_fail=N
-- plus one "bench-lua: status S = N" line per HTTP status seen. Every status
-- other than 200 counts as an error (non200), and so does a 200 whose body
-- fails check() (parse_fail).

local M = {}

-- Non-empty lines of a file, trimmed.
function M.read_lines(path, what)
   local fh, err = io.open(path, "r")
   if not fh then error("cannot open " .. what .. " file: " .. tostring(err)) end
   local out = {}
   for line in fh:lines() do
      local v = line:match("^%s*(.-)%s*$")
      if v ~= "" then out[#out + 1] = v end
   end
   fh:close()
   if #out == 0 then error(what .. " file is empty: " .. path) end
   return out
end

-- Seeds this thread's generator so threads (and runs) draw different sequences.
function M.seed_random(index)
   local t = os.time()
   local c = math.floor((os.clock() * 1e6) % 1e6)
   math.randomseed(t * 1000 + index * 7919 + c)
   -- The first values after seeding are poorly mixed on some Lua builds.
   for _ = 1, 10 do math.random() end
end

function M.install(check)
   -- Main state (setup/done).
   local threads = {}

   function setup(thread)
      thread:set("thread_index", #threads)
      table.insert(threads, thread)
   end

   -- Thread state: counters are globals so done() can read them.
   responses, non200, parse_fail = 0, 0, 0
   statuses = {}

   function response(status, headers, body)
      responses = responses + 1
      statuses[status] = (statuses[status] or 0) + 1
      if status ~= 200 then
         non200 = non200 + 1
      elseif not check(body or "") then
         parse_fail = parse_fail + 1
      end
   end

   function done(summary, latency, requests)
      local total = { responses = 0, non200 = 0, parse_fail = 0 }
      local by_status = {}
      for _, t in ipairs(threads) do
         for k, _ in pairs(total) do
            total[k] = total[k] + (tonumber(t:get(k)) or 0)
         end
         local s = t:get("statuses")
         if type(s) == "table" then
            for code, n in pairs(s) do
               by_status[code] = (by_status[code] or 0) + n
            end
         end
      end
      io.write(string.format("bench-lua: responses=%d non200=%d reused=0 parse_fail=%d\n",
                             total.responses, total.non200, total.parse_fail))
      local codes = {}
      for code, _ in pairs(by_status) do table.insert(codes, code) end
      table.sort(codes)
      for _, code in ipairs(codes) do
         io.write(string.format("bench-lua: status %s = %d\n", tostring(code), by_status[code]))
      end
   end
end

return M
