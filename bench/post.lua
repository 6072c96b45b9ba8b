-- wrk script: every request is a POST of one JSON body with a bearer token.
-- Usage: wrk ... -s bench/post.lua URL -- <token> <body file>
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[1] ~= nil and args[1] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[1]
  end
  local file = assert(io.open(args[2], "rb"))
  wrk.body = file:read("*a")
  file:close()
end
