'use strict';
// The peer's Redis work alone, for counting Redis's instructions per event
// under callgrind (docs/performance.md): the load test's messages (40
// posters, every fourth a thread reply) through plan() and the peer's
// script, one EVALSHA per event and 64 in flight, as peer.js sends them,
// without Slack. It leaves its dedupe keys (they expire in a day): point it
// at a Redis of its own.
//
//   REDIS_URL=redis://127.0.0.1:6391 node script-load.js 30000
const { createClient } = require('redis');
const { SCRIPT, plan } = require('./peer');

async function main() {
  const n = parseInt(process.argv[2] || '30000', 10);
  const redis = createClient({ url: process.env.REDIS_URL || 'redis://127.0.0.1:6379' });
  await redis.connect();
  const sha = await redis.scriptLoad(SCRIPT);
  const prefix = `peerload:${Date.now()}:`;
  const base = Math.floor(Date.now() / 1000) - 60;
  let next = 0;
  let counted = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const ts = `${base}.${String(i).padStart(6, '0')}`;
      const ev = { type: 'message', user: `U${String(i % 40).padStart(8, '0')}`, ts };
      if (i % 4 === 3) ev.thread_ts = `${base}.000000`;
      const r = await redis.evalSha(sha, plan(prefix, `Ev${i}`, ev));
      counted += r;
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  await redis.quit();
  if (counted !== n) throw new Error(`counted ${counted} of ${n}`);
  console.log(`script-load: ${n} events counted`);
}

main().catch((e) => { console.error('script-load:', e.message); process.exit(1); });
