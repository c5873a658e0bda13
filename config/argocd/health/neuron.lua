-- Argo CD health of a tensorfleet.io Neuron, from its status (phase, conditions).
local hs = {}
local function condition(status, type)
  if status.conditions ~= nil then
    for _, c in ipairs(status.conditions) do
      if c.type == type then return c end
    end
  end
  return nil
end
local function describe(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then return c.message end
  if c ~= nil and c.reason ~= nil then return c.reason end
  return fallback
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "spec.suspend is true: pod scaled to zero"
  return hs
end
local status = obj.status
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end
if status.observedGeneration ~= nil and obj.metadata.generation ~= nil
    and status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the latest spec"
  return hs
end
local ready = condition(status, "Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready, "Ready")
  return hs
end
-- Conditions an operator cannot fix by waiting: say so, not "Progressing" forever.
for _, t in ipairs({"InvalidSpec", "HotkeyConflict", "SubnetNotFound", "RegistrationBlocked", "GpuUnhealthy"}) do
  local c = condition(status, t)
  if c ~= nil and c.status == "True" then
    hs.status = "Degraded"
    hs.message = t .. ": " .. describe(c, "")
    return hs
  end
end
if status.phase == "Failed" or status.phase == "Degraded" or status.phase == "Deregistered" then
  hs.status = "Degraded"
  hs.message = status.phase .. ": " .. describe(ready, "not ready")
  return hs
end
hs.status = "Progressing"
hs.message = (status.phase or "Pending") .. ": " .. describe(ready, "not ready yet")
return hs
