-- Argo CD health of the tensorfleet.io kinds (Neuron, Subnet, NeuronSet) from their status.
-- One script for all three keys of argocd-cm: it dispatches on obj.kind.

local function condition(status, type)
  for _, c in ipairs(status.conditions or {}) do
    if c.type == type then return c end
  end
  return nil
end

local function text(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then return c.message end
  if c ~= nil and c.reason ~= nil and c.reason ~= "" then return c.reason end
  return fallback
end

-- The first of `types` that is True: conditions that waiting will not fix.
local function blocking(status, types)
  for _, t in ipairs(types) do
    local c = condition(status, t)
    if c ~= nil and c.status == "True" then return t .. ": " .. text(c, "") end
  end
  return nil
end

local function result(status, message)
  return {status = status, message = message}
end

local function neuron(spec, status)
  if spec.suspend == true then return result("Suspended", "spec.suspend is true: pod scaled to zero") end
  local ready = condition(status, "Ready")
  if ready ~= nil and ready.status == "True" then return result("Healthy", text(ready, "Ready")) end
  local why = blocking(status, {"InvalidSpec", "HotkeyConflict", "SubnetNotFound", "RegistrationBlocked", "GpuUnhealthy"})
  if why ~= nil then return result("Degraded", why) end
  local phase = status.phase or "Pending"
  if phase == "Failed" or phase == "Degraded" or phase == "Deregistered" then
    return result("Degraded", phase .. ": " .. text(ready, "not ready"))
  end
  return result("Progressing", phase .. ": " .. text(ready, "not ready yet"))
end

local function subnet(spec, status)
  local chain = condition(status, "ChainReachable")
  if chain ~= nil and chain.status == "False" then return result("Degraded", "Chain unreachable: " .. text(chain, "")) end
  local why = blocking(status, {"InvalidSpec"})
  if why ~= nil then return result("Degraded", why) end
  local ready = condition(status, "Ready")
  if ready ~= nil and ready.status == "True" then return result("Healthy", "Block " .. tostring(status.block or "?")) end
  return result("Progressing", text(ready, "Waiting for the first chain poll"))
end

local function neuronset(spec, status)
  local want = spec.replicas or 1
  local ready = status.readyReplicas or 0
  local count = " (" .. ready .. "/" .. want .. " ready)"
  local budget = condition(status, "BudgetExhausted")
  if budget ~= nil and budget.status == "True" and ready < want then
    return result("Degraded", "Registration budget exhausted: " .. text(budget, "") .. count)
  end
  -- A failed canary was rolled back and waits for a new spec: Argo Rollouts calls that Degraded.
  local paused = condition(status, "RolloutPaused")
  if paused ~= nil and paused.status == "True" then
    return result("Degraded", "Rollout paused (" .. (paused.reason or "") .. "): " .. text(paused, "") .. count)
  end
  local progressing = condition(status, "Progressing")
  if progressing ~= nil and progressing.status == "True" then return result("Progressing", text(progressing, "Rolling out") .. count) end
  local rc = condition(status, "Ready")
  if rc ~= nil and rc.status == "True" and ready >= want then return result("Healthy", ready .. "/" .. want .. " ready") end
  if rc ~= nil and rc.status == "False" then return result("Degraded", text(rc, "not ready") .. count) end
  return result("Progressing", ready .. "/" .. want .. " ready")
end

local checks = {Neuron = neuron, Subnet = subnet, NeuronSet = neuronset}
local check = checks[obj.kind]
if check == nil then return result("Unknown", "not a tensorfleet.io kind: " .. tostring(obj.kind)) end
local status = obj.status
if status == nil then return result("Progressing", "Waiting for the operator to report status") end
local generation = obj.metadata and obj.metadata.generation
if status.observedGeneration ~= nil and generation ~= nil and status.observedGeneration < generation then
  return result("Progressing", "Waiting for the operator to observe the latest spec")
end
return check(obj.spec or {}, status)
