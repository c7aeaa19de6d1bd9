"""The queue's atomic moves as Redis Lua scripts: enqueue, claim, requeue, transfer, finish.

Anything two gateways or two agents could race on happens inside one script, so of any
number of agents clicking "claim" on one chat exactly one wins.
"""

# KEYS conv, queue | ARGV conv_id, now, rank, priority, escalation_json, team, sla_s
ENQUEUE = """
local mode = redis.call('HGET', KEYS[1], 'mode')
redis.call('HSET', KEYS[1], 'escalation', ARGV[5])
if mode == 'agent' then return {-1, 0} end
local rank = tonumber(ARGV[3])
local queued_at = tonumber(redis.call('HGET', KEYS[1], 'queued_at') or '0')
local old_rank = tonumber(redis.call('HGET', KEYS[1], 'priority_rank') or '99')
if redis.call('ZSCORE', KEYS[2], ARGV[1]) == false then
  queued_at = tonumber(ARGV[2])
  old_rank = 99
  redis.call('HDEL', KEYS[1], 'first_response_at', 'owner', 'owner_name', 'claimed_at')
  redis.call('HSET', KEYS[1], 'mode', 'queued', 'queued_at', ARGV[2], 'team', ARGV[6])
end
if rank < old_rank then
  redis.call('HSET', KEYS[1], 'priority', ARGV[4], 'priority_rank', rank,
             'sla_due', string.format('%.3f', queued_at + tonumber(ARGV[7])))
else
  rank = old_rank
end
redis.call('ZADD', KEYS[2], string.format('%.3f', rank * 1e10 + queued_at), ARGV[1])
return {1, redis.call('ZRANK', KEYS[2], ARGV[1]) + 1}
"""

# KEYS conv, queue, agent_chats, waits | ARGV conv_id, login, name, now
CLAIM = """
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'mode', 'agent', 'owner', ARGV[2], 'owner_name', ARGV[3],
           'claimed_at', ARGV[4])
redis.call('SADD', KEYS[3], ARGV[1])
local queued_at = tonumber(redis.call('HGET', KEYS[1], 'queued_at') or ARGV[4])
redis.call('LPUSH', KEYS[4], string.format('%.3f', tonumber(ARGV[4]) - queued_at))
redis.call('LTRIM', KEYS[4], 0, 49)
return 1
"""

# back to the queue at its old place (original queued_at), optionally to another team
# KEYS conv, queue, agent_chats | ARGV conv_id, login ('' = whoever owns it), team ('' = same)
REQUEUE = """
local owner = redis.call('HGET', KEYS[1], 'owner')
if redis.call('HGET', KEYS[1], 'mode') ~= 'agent' then return 0 end
if ARGV[2] ~= '' and owner ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], 'owner', 'owner_name', 'claimed_at')
redis.call('HSET', KEYS[1], 'mode', 'queued')
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'team', ARGV[3]) end
local rank = tonumber(redis.call('HGET', KEYS[1], 'priority_rank') or '2')
local queued_at = tonumber(redis.call('HGET', KEYS[1], 'queued_at') or '0')
redis.call('ZADD', KEYS[2], string.format('%.3f', rank * 1e10 + queued_at), ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
return 1
"""

# KEYS conv, from_chats, to_chats | ARGV conv_id, from_login, to_login, to_name
TRANSFER = """
if redis.call('HGET', KEYS[1], 'mode') ~= 'agent' then return 0 end
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[3], 'owner_name', ARGV[4])
redis.call('SMOVE', KEYS[2], KEYS[3], ARGV[1])
return 1
"""

# close or hand back: the bot owns the chat again | KEYS conv, agent_chats, queue
# ARGV conv_id, login
FINISH = """
if redis.call('HGET', KEYS[1], 'mode') ~= 'agent' then return 0 end
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'mode', 'bot', 'fallback_streak', 0)
redis.call('HDEL', KEYS[1], 'owner', 'owner_name', 'claimed_at', 'queued_at',
           'priority', 'priority_rank', 'sla_due', 'first_response_at', 'escalation')
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
"""
