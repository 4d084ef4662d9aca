/**
 * Lua scripts run inside Redis. Keys are built from a prefix passed in ARGV because a chain's keys are
 * only known while it is walked; Bloodbank therefore needs a standalone Redis (or a single-slot setup).
 */

/**
 * Walks a correlation chain in one call. ARGV: prefix, start id, `ancestors` | `descendants`, max depth.
 * Depth-first with an explicit stack (no recursion limit), a `visited` set (cycles terminate), and the
 * original's rules: the start node is depth 0, a node at depth >= max depth is not visited, the start
 * node is part of the result only if it has at least one relative in that direction. Nodes are emitted
 * in post-order (a node after everything it leads to); the caller reverses descendants.
 * Children are walked in sorted order so the result is deterministic.
 */
export const WALK_CHAIN_LUA = `
local prefix = ARGV[1]
local start = ARGV[2]
local ancestors = ARGV[3] == 'ancestors'
local maxDepth = tonumber(ARGV[4])
local function relatives(id)
  if ancestors then
    local raw = redis.call('GET', prefix .. ':forward:' .. id)
    if not raw then return {} end
    local ok, doc = pcall(cjson.decode, raw)
    if not ok or type(doc) ~= 'table' or type(doc.parent_event_ids) ~= 'table' then return {} end
    local out = {}
    for _, p in ipairs(doc.parent_event_ids) do
      if type(p) == 'string' then out[#out + 1] = p end
    end
    return out
  end
  local members = redis.call('SMEMBERS', prefix .. ':reverse:' .. id)
  table.sort(members)
  return members
end
local chain = {}
if maxDepth <= 0 then return chain end
local visited = { [start] = true }
local stack = { { start, 0, relatives(start), 1 } }
while #stack > 0 do
  local top = stack[#stack]
  local next_ = top[3]
  if top[4] <= #next_ then
    local id = next_[top[4]]
    top[4] = top[4] + 1
    local depth = top[2] + 1
    if not visited[id] and depth < maxDepth then
      visited[id] = true
      stack[#stack + 1] = { id, depth, relatives(id), 1 }
    end
  else
    stack[#stack] = nil
    if top[1] ~= start or #next_ > 0 then chain[#chain + 1] = top[1] end
  end
end
return chain
`;

/**
 * Records one correlation atomically, in one command: writes (or merges into) the child's forward
 * record, then adds the child to each parent's reverse SET with its TTL refreshed (SADD + EXPIRE, as
 * the original). A script rather than MULTI/EXEC because the merge must read the stored record, and
 * because an EVALSHA queued in a MULTI gets no NOSCRIPT fallback (after SCRIPT FLUSH or a failover every
 * add would fail while the SADDs still applied).
 *
 * KEYS: [1] the child's forward key, [2..n+1] the parents' forward keys (read for the workflow id),
 * [n+2..2n+1] the parents' reverse keys, in the order of the parents in ARGV[2].
 * ARGV: ttl seconds, parents as a JSON array (distinct), created_at, metadata as a JSON object text,
 * explicit workflow id or '', child id.
 *
 * Merge rules on re-add: parents are the union (stored order first, new ones appended); `created_at`
 * and `workflow_id` keep their first value; metadata is merged shallowly, new keys winning. Metadata is
 * copied verbatim unless both sides are non-empty, when Redis' cjson re-encodes it (numbers keep 14
 * significant digits). Returns the workflow id stored.
 *
 * Layout as the original (orjson, compact): `{"parent_event_ids":[…],"created_at":"…",
 * "workflow_id":"…","metadata":{…}}` — `workflow_id` is ours; the original ignores keys it does not know.
 */
export const ADD_CORRELATION_LUA = `
local ttl = tonumber(ARGV[1])
local incoming = cjson.decode(ARGV[2])
local createdAt = ARGV[3]
local metadata = ARGV[4]
local workflow = ARGV[5]
local child = ARGV[6]
local parents, seen = {}, {}
local function addParent(p)
  if type(p) == 'string' and not seen[p] then
    seen[p] = true
    parents[#parents + 1] = p
  end
end
local function isEmptyObject(text)
  return string.match(text, '^%s*{%s*}%s*$') ~= nil
end
local storedWorkflow = nil
local raw = redis.call('GET', KEYS[1])
if raw then
  local ok, old = pcall(cjson.decode, raw)
  if ok and type(old) == 'table' then
    if type(old.parent_event_ids) == 'table' then
      for _, p in ipairs(old.parent_event_ids) do addParent(p) end
    end
    if type(old.created_at) == 'string' then createdAt = old.created_at end
    if type(old.workflow_id) == 'string' and old.workflow_id ~= '' then storedWorkflow = old.workflow_id end
    if type(old.metadata) == 'table' and next(old.metadata) ~= nil then
      if isEmptyObject(metadata) then
        -- metadata is the last field of both writers' records: copy its text verbatim
        local at = string.find(raw, ',"metadata":', 1, true)
        local text = at and string.sub(raw, at + 12, -2) or nil
        local okText, parsed = false, nil
        if text then okText, parsed = pcall(cjson.decode, text) end
        if okText and type(parsed) == 'table' then metadata = text else metadata = cjson.encode(old.metadata) end
      else
        local merged = old.metadata
        for k, v in pairs(cjson.decode(metadata)) do merged[k] = v end
        metadata = cjson.encode(merged)
      end
    end
  end
end
for _, p in ipairs(incoming) do addParent(p) end
if storedWorkflow then
  workflow = storedWorkflow
elseif workflow == '' then
  for i = 2, #incoming + 1 do
    local parentRaw = redis.call('GET', KEYS[i])
    if parentRaw then
      local ok, doc = pcall(cjson.decode, parentRaw)
      if ok and type(doc) == 'table' and type(doc.workflow_id) == 'string' and doc.workflow_id ~= '' then
        workflow = doc.workflow_id
        break
      end
    end
  end
  if workflow == '' then workflow = parents[1] or child end
end
local encoded = {}
for i, p in ipairs(parents) do encoded[i] = cjson.encode(p) end
local record = '{"parent_event_ids":[' .. table.concat(encoded, ',') .. '],"created_at":' .. cjson.encode(createdAt)
  .. ',"workflow_id":' .. cjson.encode(workflow) .. ',"metadata":' .. metadata .. '}'
redis.call('SET', KEYS[1], record, 'EX', ttl)
for i, _ in ipairs(incoming) do
  local reverse = KEYS[#incoming + 1 + i]
  redis.call('SADD', reverse, child)
  redis.call('EXPIRE', reverse, ttl)
end
return workflow
`;

/**
 * Idempotency: take the `processing` lease if nobody holds the key. KEYS[1] the key, ARGV[1] lease ms.
 * Returns `acquired`, `done` or `in-progress`.
 */
export const IDEMPOTENCY_BEGIN_LUA = `
if redis.call('SET', KEYS[1], 'processing', 'NX', 'PX', ARGV[1]) then return 'acquired' end
local state = redis.call('GET', KEYS[1])
if state == 'done' then return 'done' end
return 'in-progress'
`;

/** Idempotency: drop the key only while it is still a `processing` lease (never erase `done`). */
export const IDEMPOTENCY_RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == 'processing' then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Idempotency: extend a `processing` lease (ARGV[1] ms) while its handler runs; never touches `done`. */
export const IDEMPOTENCY_RENEW_LUA = `
if redis.call('GET', KEYS[1]) == 'processing' then return redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 0
`;
