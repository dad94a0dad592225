/**
 * Builds the explorer's index of a results directory from what is on disk (layout in
 * ../../README.md and ../results/explorer-index.ts): atlas/<layer>/ (+ atlas/<layer>/<mode>/ for further
 * projection modes), similarity/<layer>/, maximize/<layer>/, the probe folders, run.json, the
 * report's index.html. Unreadable or foreign JSON files are left out, never fatal.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PROJECTION_MODES as MODE_DIRS, type NeuronAtlas } from '../results/neuron-atlas.js';
import { INDEX_FORMAT, type LayerEntry, type NeuronEntry, type NeuronModeEntry, type ProbeEntry, type ResultsIndex } from '../results/explorer-index.js';

export const PROBE_DIRS = ['invariance', 'correspondence', 'verify', 'pose'] as const;
const IMAGE_RE = /\.(png|jpe?g|svg|webp)$/i;

async function list(dir: string): Promise<{ name: string; dir: boolean }[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => !e.name.startsWith('.')).map((e) => ({ name: e.name, dir: e.isDirectory() })).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return [];
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function readJsonOr<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Image files of a folder listing; an SVG is left out when a PNG of the same name is there. */
function images(names: string[]): string[] {
  const set = new Set(names);
  return names.filter((f) => IMAGE_RE.test(f) && !(f.endsWith('.svg') && set.has(f.replace(/\.svg$/, '.png'))));
}

const posix = (...parts: string[]) => parts.filter((p) => p !== '').join('/');

/** A neuron JSON as read back: any member may be missing in a damaged or foreign file. */
type NeuronJson = Partial<NeuronAtlas>;

/** The neuron JSONs of one atlas folder, by neuron. */
async function atlasFolder(root: string, rel: string): Promise<Map<number, { entry: NeuronModeEntry; doc: NeuronJson }>> {
  const out = new Map<number, { entry: NeuronModeEntry; doc: NeuronJson }>();
  for (const f of await list(path.join(root, rel))) {
    const m = /^neuron-(\d+)\.json$/.exec(f.name);
    if (!m || f.dir) continue;
    const doc = await readJsonOr<NeuronJson>(path.join(root, rel, f.name));
    if (!doc || typeof doc.neuron !== 'number' || !Array.isArray(doc.samples)) continue;
    const png = posix(rel, doc.png ?? `neuron-${m[1]}.png`);
    out.set(doc.neuron, { entry: { mode: doc.mode ?? 'unknown', json: posix(rel, f.name), png }, doc });
  }
  return out;
}

async function atlasOf(root: string, layer: string): Promise<LayerEntry['atlas']> {
  const dir = posix('atlas', layer);
  const folders = [dir, ...(await list(path.join(root, dir))).filter((e) => e.dir && (MODE_DIRS as readonly string[]).includes(e.name)).map((e) => posix(dir, e.name))];
  const byNeuron = new Map<number, NeuronEntry>();
  const modes: string[] = [];
  for (const folder of folders) {
    for (const [k, { entry, doc }] of await atlasFolder(root, folder)) {
      if (!modes.includes(entry.mode)) modes.push(entry.mode);
      let n = byNeuron.get(k);
      if (!n) {
        n = { neuron: k, modes: [] };
        byNeuron.set(k, n);
      }
      if (n.modes.some((m) => m.mode === entry.mode)) continue;
      n.modes.push(entry);
      const first = doc.samples?.[0];
      if (!n.top && first && doc.layout?.grid) {
        n.top = { id: first.id, value: first.value, col: first.grid.col, row: first.grid.row };
        n.grid = doc.layout.grid;
      }
      const am = doc.maximize?.[0]?.image;
      if (!n.am && typeof am === 'string') n.am = path.posix.normalize(posix(folder, am));
    }
  }
  if (byNeuron.size === 0) return undefined;
  const summary = (await exists(path.join(root, dir, 'summary.json'))) ? posix(dir, 'summary.json') : undefined;
  return { dir, ...(summary ? { summary } : {}), modes, neurons: [...byNeuron.values()].sort((a, b) => a.neuron - b.neuron) };
}

async function similarityOf(root: string, layer: string): Promise<LayerEntry['similarity']> {
  const dir = posix('similarity', layer);
  if (!(await exists(path.join(root, dir, 'summary.json')))) return undefined;
  const names = new Set((await list(path.join(root, dir))).map((e) => e.name));
  const heatmap = names.has(`${layer}.similarity.png`) ? posix(dir, `${layer}.similarity.png`) : undefined;
  const matrix = names.has(`${layer}.similarity.npy`) ? posix(dir, `${layer}.similarity.npy`) : undefined;
  return { dir, summary: posix(dir, 'summary.json'), ...(heatmap ? { heatmap } : {}), ...(matrix ? { matrix } : {}) };
}

async function maximizeOf(root: string, layer: string): Promise<LayerEntry['maximize']> {
  const dir = posix('maximize', layer);
  const found = images((await list(path.join(root, dir))).filter((e) => !e.dir).map((e) => e.name)).map((f) => posix(dir, f));
  return found.length > 0 ? { dir, images: found } : undefined;
}

async function probeOf(root: string, name: string): Promise<ProbeEntry | undefined> {
  const entries = await list(path.join(root, name));
  if (entries.length === 0) return undefined;
  const files = entries.filter((e) => !e.dir).map((e) => e.name);
  return {
    name,
    dir: name,
    images: images(files).map((f) => posix(name, f)),
    tables: files.filter((f) => f.endsWith('.md')).map((f) => posix(name, f)),
    ...(files.includes('summary.json') ? { summary: posix(name, 'summary.json') } : {}),
  };
}

/** `root` must be an existing directory. */
export async function buildResultsIndex(root: string): Promise<ResultsIndex> {
  const layerNames = new Set<string>();
  for (const top of ['atlas', 'similarity', 'maximize']) for (const e of await list(path.join(root, top))) if (e.dir) layerNames.add(e.name);
  // The sweep's layer order (the network's), then any other layer by name.
  const manifest = await readJsonOr<{ status?: string; layers?: { name: string; channels?: number; spatial?: boolean; rf?: { size?: number } }[] }>(path.join(root, 'sweep', 'manifest.json'));
  // A hand-edited or foreign manifest must not take the explorer down: layers only when well-formed.
  const mlayers = Array.isArray(manifest?.layers) ? manifest.layers.filter((l) => typeof l?.name === 'string') : [];
  const order = mlayers.map((l) => l.name);
  const sweptLayers = new Map((manifest?.status === 'complete' ? mlayers : []).filter((l) => typeof l.channels === 'number').map((l) => [l.name, l]));
  for (const n of sweptLayers.keys()) layerNames.add(n);
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
  const layers: LayerEntry[] = [];
  for (const name of [...layerNames].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
    const [atlas, similarity, maximize] = await Promise.all([atlasOf(root, name), similarityOf(root, name), maximizeOf(root, name)]);
    const sw = sweptLayers.get(name);
    const swept = sw ? { channels: sw.channels!, spatial: sw.spatial === true, ...(typeof sw.rf?.size === 'number' ? { rf: sw.rf.size } : {}) } : undefined;
    if (!atlas && !similarity && !maximize && !swept) continue;
    layers.push({ name, ...(swept ? { swept } : {}), ...(atlas ? { atlas } : {}), ...(similarity ? { similarity } : {}), ...(maximize ? { maximize } : {}) });
  }
  const probes: ProbeEntry[] = [];
  for (const p of PROBE_DIRS) {
    const e = await probeOf(root, p);
    if (e) probes.push(e);
  }
  const has = async (rel: string) => ((await exists(path.join(root, rel))) ? rel : undefined);
  const report = await has('index.html');
  const run = await has('run.json');
  const sweep = await has('sweep/manifest.json');
  const explain = await has('explain/summary.json');
  return { format: INDEX_FORMAT, name: path.basename(root), ...(report ? { report } : {}), ...(run ? { run } : {}), ...(sweep ? { sweep } : {}), layers, probes, ...(explain ? { explain } : {}) };
}

/** True when the index has something the explorer can show. */
export function hasResults(index: ResultsIndex): boolean {
  return index.layers.length > 0 || index.probes.length > 0 || index.report !== undefined || index.sweep !== undefined || index.explain !== undefined;
}
