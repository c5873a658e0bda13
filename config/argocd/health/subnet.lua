-- Argo CD health of a tensorfleet.io Subnet: chain reachable and polled.
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
  hs.message = "Waiting for the operator to poll the chain"
  return hs
end
local chain = condition(status, "ChainReachable")
if chain ~= nil and chain.status == "False" then
  hs.status = "Degraded"
  hs.message = "Chain unreachable: " .. (chain.message or chain.reason or "")
  return hs
end
local invalid = condition(status, "InvalidSpec")
if invalid ~= nil and invalid.status == "True" then
  hs.status = "Degraded"
  hs.message = "InvalidSpec: " .. (invalid.message or invalid.reason or "")
  return hs
end
local ready = condition(status, "Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = "Block " .. tostring(status.block or "?")
  return hs
end
hs.status = "Progressing"
hs.message = (ready ~= nil and (ready.message or ready.reason)) or "Waiting for the first chain poll"
return hs
