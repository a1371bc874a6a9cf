-- Argo CD health check for egress.cloudrun.dev/CloudRunEgressJob. Install it in argocd-cm under
-- resource.customizations.health.egress.cloudrun.dev_CloudRunEgressJob (project docs/operating.md: "Argo CD, Flux and kubectl").
--
-- Decides in the order kstatus does: a resource being deleted, or whose status is behind its spec,
-- is Progressing; Stalled=True (the operator needs the user: a GCP error, an object it does not
-- own, a replacement to allow) is Degraded; Ready=True is Healthy; anything else is Progressing.
-- A CloudRunEgressJob cannot be paused, so this check never answers Suspended.

local function condition(conditionType)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function describe(c)
  local reason = c.reason or c.type
  if c.message ~= nil and c.message ~= "" then
    return reason .. ": " .. c.message
  end
  return reason
end

local generation = obj.metadata.generation or 0
local ready = condition("Ready")

if obj.metadata.deletionTimestamp ~= nil then
  local message = "Being deleted: the operator removes its GCP objects first"
  if ready ~= nil and ready.status == "False" then
    message = message .. " (" .. describe(ready) .. ")"
  end
  return {status = "Progressing", message = message}
end

if obj.status == nil or (obj.status.observedGeneration or 0) < generation
    or ready == nil or (ready.observedGeneration or 0) < generation then
  return {status = "Progressing", message = "Waiting for the operator to reconcile generation " .. generation}
end

local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  return {status = "Degraded", message = describe(stalled)}
end

if ready.status == "True" then
  return {status = "Healthy", message = describe(ready)}
end

return {status = "Progressing", message = describe(ready)}
