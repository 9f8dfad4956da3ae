'use strict';
// The ingest work of `closeknit loadtest` done the way a team would write it
// with Slack's official Node library (@slack/socket-mode) and node-redis: for
// each events_api envelope, one Lua script dedupes on event_id and counts the
// week's messages, replies, reactions and joins, per-user totals and active
// users; the envelope is acked only after Redis answered, as closeknit does.
//
// Environment: SLACK_API_URL (the emulator's Web API URL, trailing slash),
// SLACK_APP_TOKEN, REDIS_URL, ENG_PREFIX (key prefix of this run).
//
// Keys (prefix P, ISO week W in UTC; closeknit's load test reads
// P w:W:messages to check the count):
//   P dedupe:<event_id>   SET NX EX 86400
//   P w:W:messages|replies|reactions|joins   INCR
//   P w:W:users   ZINCRBY 1 <user>        P w:W:active   PFADD <user>
const { SocketModeClient, LogLevel } = require('@slack/socket-mode');
const { createClient } = require('redis');

const SCRIPT = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', 86400) then return 0 end
local n = tonumber(ARGV[1])
for i = 2, n + 1 do redis.call('INCR', KEYS[i]) end
if ARGV[2] ~= '' then
  redis.call('ZINCRBY', KEYS[n + 2], 1, ARGV[2])
  redis.call('PFADD', KEYS[n + 3], ARGV[2])
end
return 1
`;

// isoWeek names the ISO week of a Unix time in seconds, e.g. 2026-W49.
function isoWeek(sec) {
  const d = new Date(sec * 1000);
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 4 - (d.getUTCDay() || 7)));
  const week = Math.ceil(((thursday - Date.UTC(thursday.getUTCFullYear(), 0, 1)) / 86400000 + 1) / 7);
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function weekOf(ts) {
  const sec = typeof ts === 'string' ? parseInt(ts, 10) : NaN;
  return sec > 0 ? isoWeek(sec) : null;
}

// plan returns the script's keys and arguments for an event, or null when
// the event is not counted (edits, bot posts, other types, malformed).
function plan(prefix, eventID, ev) {
  if (!eventID || !ev) return null;
  let week; const counters = []; let user = '';
  switch (ev.type) {
    case 'message':
      if (ev.subtype || !ev.user || !(week = weekOf(ev.ts))) return null;
      counters.push('messages');
      if (ev.thread_ts && ev.thread_ts !== ev.ts) counters.push('replies');
      user = ev.user;
      break;
    case 'reaction_added':
      if (!(week = weekOf(ev.event_ts))) return null;
      counters.push('reactions');
      break;
    case 'member_joined_channel':
      if (!(week = weekOf(ev.event_ts))) return null;
      counters.push('joins');
      break;
    default:
      return null;
  }
  const w = `${prefix}w:${week}:`;
  const keys = [`${prefix}dedupe:${eventID}`, ...counters.map((c) => w + c)];
  if (user) keys.push(w + 'users', w + 'active');
  return { keys, arguments: [String(counters.length), user] };
}

async function main() {
  const apiURL = process.env.SLACK_API_URL;
  if (!apiURL) throw new Error('SLACK_API_URL is required');
  const prefix = process.env.ENG_PREFIX || 'peer:';
  const redis = createClient({ url: process.env.REDIS_URL || 'redis://127.0.0.1:6379' });
  redis.on('error', (e) => console.error('node-peer: redis:', e.message));
  await redis.connect();
  const sha = await redis.scriptLoad(SCRIPT);

  const client = new SocketModeClient({
    appToken: process.env.SLACK_APP_TOKEN,
    clientOptions: { slackApiUrl: apiURL },
    logLevel: LogLevel.ERROR,
  });
  const stats = { counted: 0, duplicates: 0, ignored: 0, redisErrors: 0 };
  client.on('slack_event', async ({ ack, type, body }) => {
    if (type !== 'events_api') return;
    const p = plan(prefix, body && body.event_id, body && body.event);
    if (p) {
      try {
        const r = await redis.evalSha(sha, p);
        if (r === 1) stats.counted++; else stats.duplicates++;
      } catch (e) {
        stats.redisErrors++; // not acked: Slack redelivers
        return;
      }
    } else {
      stats.ignored++;
    }
    await ack();
  });
  await client.start();

  const stop = async () => {
    console.error('node-peer: stopping', JSON.stringify(stats));
    await Promise.race([client.disconnect(), new Promise((r) => setTimeout(r, 500))]).catch(() => {});
    await redis.quit().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((e) => { console.error('node-peer:', e.message); process.exit(1); });
}

module.exports = { SCRIPT, plan };
