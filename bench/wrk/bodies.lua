-- POST one form body per request, read from a file (one URL-encoded body per line).
-- Single-use bodies (authorization codes, refresh tokens) are split between wrk's
-- threads; with "cycle" a thread starts over when its share is used up (reusable
-- bodies such as token exchange), otherwise it keeps sending its last body, which the
-- server refuses and wrk counts as a non-2xx response.
--
-- wrk -s bench/wrk/bodies.lua URL -- FILE AUTHORIZATION THREADS cycle|once

local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  local path, authorization, threads, mode = args[1], args[2], tonumber(args[3]), args[4]
  bodies = {}
  local i = 0
  for line in io.lines(path) do
    if i % threads == id then
      bodies[#bodies + 1] = line
    end
    i = i + 1
  end
  cycle = (mode == "cycle")
  index = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  if authorization ~= nil and authorization ~= "" and authorization ~= "-" then
    wrk.headers["Authorization"] = authorization
  end
end

function request()
  index = index + 1
  if index > #bodies then
    index = cycle and 1 or #bodies
  end
  return wrk.format(nil, nil, nil, bodies[index])
end
