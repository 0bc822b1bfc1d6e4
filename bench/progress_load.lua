-- wrk script: each request reports progress on a random task as that task's lead unit.
-- Tokens are "bench-unit-<u>" (the bench seeds them); task i belongs to unit i % UNITS.
local TASKS, UNITS = 1000, 100
local counter = 0
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))

request = function()
  counter = counter + 1
  local i = math.random(0, TASKS - 1)
  local unit = i % UNITS
  local body = string.format(
    '{"unit":"bench-unit-%d","done":"完成阶段任务","percent":%d}', unit, math.random(1, 99))
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer bench-unit-" .. unit,
    ["Idempotency-Key"] = string.format("%d-%d-%d", os.time(), counter, math.random(1, 1e9)),
  }
  return wrk.format("POST", "/tasks/bench-task-" .. i .. "/progress", headers, body)
end
