-- Argo CD health of a tensorfleet.io NeuronSet: members ready, rollout done, budget left.
local hs = {}
local function condition(status, type)
  if status.conditions ~= nil then
    for _, c in ipairs(status.conditions) do
      if c.type == type then return c end
    end
  end
  return nil
end
local status = obj.status
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end
local want = (obj.spec and obj.spec.replicas) or 1
local ready = status.readyReplicas or 0
local budget = condition(status, "BudgetExhausted")
if budget ~= nil and budget.status == "True" and ready < want then
  hs.status = "Degraded"
  hs.message = "Registration budget exhausted with " .. ready .. "/" .. want .. " ready: " .. (budget.message or "")
  return hs
end
local progressing = condition(status, "Progressing")
if progressing ~= nil and progressing.status == "True" then
  hs.status = "Progressing"
  hs.message = progressing.message or ("Rolling out: " .. ready .. "/" .. want .. " ready")
  return hs
end
local rc = condition(status, "Ready")
if rc ~= nil and rc.status == "True" and ready >= want then
  hs.status = "Healthy"
  hs.message = ready .. "/" .. want .. " ready"
  return hs
end
if rc ~= nil and rc.status == "False" then
  hs.status = "Degraded"
  hs.message = (rc.message or rc.reason or "not ready") .. " (" .. ready .. "/" .. want .. " ready)"
  return hs
end
hs.status = "Progressing"
hs.message = ready .. "/" .. want .. " ready"
return hs
