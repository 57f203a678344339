-- B7: POST /api/v1/auth/refresh/ {"refresh": "<token>"} -> 200 {"access", "refresh"}
--
-- The server blacklists a refresh token once it is used, so every request must
-- carry a token never sent before. Each wrk thread owns a disjoint slice of the
-- seeded tokens (line i goes to thread (i-1) % threads) as a FIFO queue:
-- request() pops a token, response() pushes the new one from the 200 body.
-- Tokens are therefore only ever used once, and spread over all users.
--
-- Usage: wrk -t T -c C -d D --latency -s b7_refresh.lua URL -- <token_file> <T>
--
-- done() prints one machine-readable line for run.sh:
--   bench-lua: responses=N non200=N reused=N parse_fail=N
-- plus one "bench-lua: status S = N" line per HTTP status seen.
-- A thread whose queue runs dry re-uses its last token (counted as "reused";
-- the server will answer 401 token_blacklisted): that means the pool was too
-- small or many responses failed, and the run is not valid.

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

-- Main state (setup/done) ------------------------------------------------------
local threads = {}

function setup(thread)
   -- Runs in the main Lua state before the thread's init(); the value becomes a
   -- global in that thread's state.
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

-- Thread state (init/request/response); counters are globals so done() can
-- read them with thread:get().
responses, non200, reused, parse_fail = 0, 0, 0, 0
statuses = {}

local queue, head, tail = {}, 1, 0
local last_token = nil

local function push(token)
   tail = tail + 1
   queue[tail] = token
end

local function pop()
   if head > tail then return nil end
   local token = queue[head]
   queue[head] = nil
   head = head + 1
   return token
end

function init(args)
   local path = args[1] or os.getenv("BENCH_TOKEN_FILE")
   local nthreads = tonumber(args[2] or os.getenv("BENCH_THREADS") or "")
   local index = thread_index or 0
   if not path then error("b7_refresh.lua: pass the token file: -- <token_file> <threads>") end
   if not nthreads or nthreads < 1 then error("b7_refresh.lua: pass the thread count after the token file") end
   local fh, err = io.open(path, "r")
   if not fh then error("b7_refresh.lua: cannot open token file: " .. tostring(err)) end
   local line_no = 0
   for line in fh:lines() do
      local token = line:match("^%s*(.-)%s*$")
      if token ~= "" then
         if line_no % nthreads == index then push(token) end
         line_no = line_no + 1
      end
   end
   fh:close()
   if tail < 1 then error("b7_refresh.lua: no tokens for thread " .. index) end
end

function request()
   local token = pop()
   if token == nil then
      token = last_token
      reused = reused + 1
   end
   last_token = token
   return wrk.format(nil, nil, nil, '{"refresh":"' .. token .. '"}')
end

function response(status, headers, body)
   responses = responses + 1
   statuses[status] = (statuses[status] or 0) + 1
   if status ~= 200 then
      non200 = non200 + 1
      return
   end
   local token = body and body:match('"refresh"%s*:%s*"([^"]+)"')
   if token == nil then
      parse_fail = parse_fail + 1
      return
   end
   push(token)
end

function done(summary, latency, requests)
   local total = { responses = 0, non200 = 0, reused = 0, parse_fail = 0 }
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
   io.write(string.format("bench-lua: responses=%d non200=%d reused=%d parse_fail=%d\n",
                          total.responses, total.non200, total.reused, total.parse_fail))
   local codes = {}
   for code, _ in pairs(by_status) do table.insert(codes, code) end
   table.sort(codes)
   for _, code in ipairs(codes) do
      io.write(string.format("bench-lua: status %s = %d\n", tostring(code), by_status[code]))
   end
end
