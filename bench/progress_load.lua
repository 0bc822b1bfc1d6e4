-- wrk script: each request reports progress on a random task as that task's lead unit.
-- Tokens are "bench-unit-<u>" (the bench seeds them); task i belongs to unit i % UNITS.
-- DUBAN_BENCH_PERCENT=steady: each task's unit reports the same figure every time (its
-- colour settles after the first report, as when units report steady progress); random:
-- any figure each time (a task's colour then moves with most reports, and each move is
-- recorded and announced).
local TASKS, UNITS = 1000, 100
local steady = os.getenv("DUBAN_BENCH_PERCENT") ~= "random"
local counter = 0
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))

request = function()
  counter = counter + 1
  local i = math.random(0, TASKS - 1)
  local unit = i % UNITS
  local body = string.format(
    '{"unit":"bench-unit-%d","done":"完成阶段任务","percent":%d}', unit,
    steady and (40 + i % 50) or math.random(1, 99))
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer bench-unit-" .. unit,
    ["Idempotency-Key"] = string.format("%d-%d-%d", os.time(), counter, math.random(1, 1e9)),
  }
  return wrk.format("POST", "/tasks/bench-task-" .. i .. "/progress", headers, body)
end
