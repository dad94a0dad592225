/**
 * Peak RSS of a sweep (all probe layers, centre crops so detection does not dominate) at two
 * dataset sizes, each in a fresh process: memory must stay flat in the number of images.
 * Run by bench/run.ts (`sweep_rss_mb: {"200": x, "2000": y}`) or alone:
 *   npx tsx bench/sweep-rss.ts [sizes...]
 * Images: ../shared/data/lfw, cycled under distinct names when a size exceeds the subset.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function lfwImages(): string[] {
  const dir = path.resolve(ROOT, '../shared/data/lfw/images');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => readdirSync(path.join(dir, name)).sort().map((f) => path.join(dir, name, f)));
}

/** Runs one sweep in a child process and returns its peak RSS in MB (null when no data). */
export function sweepPeakRss(size: number): { images: number; peak_rss_mb: number; seconds: number } | null {
  const src = lfwImages();
  if (src.length === 0) return null;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'facelens-rss-'));
  try {
    const data = path.join(tmp, 'images');
    mkdirSync(data);
    for (let i = 0; i < size; i++) symlinkSync(src[i % src.length], path.join(data, `img${String(i).padStart(5, '0')}.jpg`));
    const child = `
      import { sweep } from ${JSON.stringify(path.join(ROOT, 'src/analyses/sweep/sweep.ts'))};
      import { openDataset } from ${JSON.stringify(path.join(ROOT, 'src/data/datasets/index.ts'))};
      import { loadDlibResnet } from ${JSON.stringify(path.join(ROOT, 'src/models/builtin/dlib-resnet.ts'))};
      const t0 = performance.now();
      const r = await sweep({ model: await loadDlibResnet(), dataset: await openDataset(${JSON.stringify(data)}), out: ${JSON.stringify(path.join(tmp, 'out'))}, detect: false, cache: false });
      console.log(JSON.stringify({ rows: r.rows, maxRSS: process.resourceUsage().maxRSS, seconds: (performance.now() - t0) / 1000 }));
    `;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { cwd: ROOT, encoding: 'utf8' });
    const line = res.stdout.trim().split('\n').pop() ?? '';
    if (res.status !== 0 || !line.startsWith('{')) throw new Error(`sweep child failed (${res.status}): ${res.stderr.slice(-500)}`);
    const out = JSON.parse(line) as { rows: number; maxRSS: number; seconds: number };
    return { images: out.rows, peak_rss_mb: out.maxRSS / 1024, seconds: out.seconds };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number);
  for (const n of sizes.length ? sizes : [200, 2000]) console.log(JSON.stringify({ size: n, ...sweepPeakRss(n) }));
}
