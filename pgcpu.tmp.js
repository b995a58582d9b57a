const { Pool } = require('pg'); const fs = require('fs'); const { execSync } = require('child_process');
const pgCpu = () => execSync("pgrep -x postgres || pgrep postgres").toString().trim().split('\n').reduce((s, pid) => { try { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return s + (+f[11]) + (+f[12]); } catch { return s; } }, 0) * 10;
async function run(pool, label, n, fn) {
  const c0 = pgCpu(); const t0 = Date.now(); const u0 = process.cpuUsage(); let i = 0;
  await Promise.all(Array.from({ length: 10 }, async () => { while (i < n) { const k = i++; await fn(k); } }));
  const u = process.cpuUsage(u0);
  console.log(label.padEnd(28), 'req/s', Math.round(n / ((Date.now() - t0) / 1000)), 'pg ms/op', ((pgCpu() - c0) / n).toFixed(3), 'node ms/op', ((u.user + u.system) / 1000 / n).toFixed(3));
}
(async () => {
  const pool = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', max: 10 });
  await pool.query('DROP TABLE IF EXISTS mb; CREATE TABLE mb (id int primary key, v int, t timestamptz)'); await pool.query('INSERT INTO mb SELECT g, 0, now() FROM generate_series(1,5000) g');
  const n = 4000;
  await run(pool, 'select 1', n, (k) => pool.query('SELECT $1::int', [k]));
  await run(pool, 'select row', n, (k) => pool.query('SELECT * FROM mb WHERE id=$1', [k % 5000 + 1]));
  await run(pool, 'update autocommit', n, (k) => pool.query('UPDATE mb SET v=v+1 WHERE id=$1', [k % 5000 + 1]));
  await run(pool, 'update sync_commit off', n, async (k) => { await pool.query('BEGIN; SET LOCAL synchronous_commit=off'); await pool.query('UPDATE mb SET v=v+1 WHERE id=$1', [k % 5000 + 1]); await pool.query('COMMIT'); });
  await run(pool, 'update in BEGIN..COMMIT', n, async (k) => { const c = await pool.connect(); await c.query('BEGIN'); await c.query('UPDATE mb SET v=v+1 WHERE id=$1', [k % 5000 + 1]); await c.query('COMMIT'); c.release(); });
  await pool.query('DROP TABLE mb'); await pool.end();
})();
