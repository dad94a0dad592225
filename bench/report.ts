/** bench/results.md from the results object (as written to results.json). */

interface T {
  img_per_s: number;
  img_per_s_best?: number;
  best?: string;
  iters?: number;
}
interface D {
  max_abs: number;
  rel: number;
}
/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const fmt = (v: number | null | undefined, digits = 2): string => {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  if (Math.abs(v) >= 1) return v.toFixed(digits);
  return v.toPrecision(2);
};
const sci = (v: number | undefined): string => (v === undefined ? 'n/a' : v === 0 ? '0' : v.toExponential(1));

function blasShort(b: string | undefined): string {
  if (!b) return 'BLAS unknown';
  if (b.includes('OpenBLAS')) return 'OpenBLAS';
  if (b.includes('reference')) return 'reference BLAS: slow, install libopenblas0';
  return b;
}

function cell(t: T | undefined, torch = false): string {
  if (!t) return '—';
  const s = fmt(t.img_per_s);
  return torch && t.best ? `${s} (${t.best === 'channels_last' ? 'channels_last' : 'NCHW'})` : s;
}

export function writeMarkdown(r: Any): string {
  const m = r.machine;
  const ok = Object.entries<Any>(r.models).filter(([, mr]) => !mr.failed);
  const failed = Object.entries<Any>(r.models).filter(([, mr]) => mr.failed);
  const lines: string[] = [];
  lines.push('# facelens benchmark', '');
  lines.push(
    `${r.date} · ${m.cpu_model}, ${m.cores} cores (${(m.cpu_flags ?? []).join(', ')}), ${m.total_mem_gb} GB · node ${m.node}, onnxruntime-node ${m.onnxruntime_node}, tfjs ${m.tfjs} (${m.tfjs_backend}), PyTorch ${m.pytorch?.version ? `${m.pytorch.version} (${blasShort(m.pytorch.blas)})` : `unavailable (${m.pytorch?.unavailable})`} · ${r.settings.threads} threads · load average ${m.loadavg_start.map((l: number) => l.toFixed(2)).join('/')} at start, ${m.loadavg_end.map((l: number) => l.toFixed(2)).join('/')} at end · ${r.duration_s.toFixed(0)} s${r.settings.quick ? ' · --quick' : ''}`,
    '',
  );
  if (r.quality?.warning) lines.push(`> **Noisy machine.** ${r.quality.warning}`, '');
  lines.push('Images/s (median run; higher is better). Input gradient = d(sum(output))/d(input); output = embedding for dlib-resnet, fc7 for vgg16-random. PyTorch: the faster memory format in brackets.', '');
  lines.push('| model | measure | ONNX Runtime | TF.js WASM | PyTorch CPU |');
  lines.push('|---|---|---:|---:|---:|');
  for (const [name, mr] of ok) {
    for (const b of r.settings.batches as number[]) {
      lines.push(
        `| ${name} | forward, batch ${b} | ${cell(mr.forward.onnxruntime?.[b])} | ${cell(mr.forward.tfjs_wasm?.[b])} | ${cell(mr.forward.pytorch?.[b], true)} |`,
      );
    }
    const gb = new Set<string>([String(r.settings.gradient_batch), ...Object.keys(mr.gradient.tfjs_wasm ?? {}), ...Object.keys(mr.gradient.pytorch ?? {})]);
    for (const g of [...gb].sort((a, b) => Number(a) - Number(b))) {
      lines.push(`| ${name} | input gradient, batch ${g} | ${cell(mr.gradient.onnxruntime?.[g])} | ${cell(mr.gradient.tfjs_wasm?.[g])} | ${cell(mr.gradient.pytorch?.[g], true)} |`);
    }
  }
  lines.push('');
  lines.push(
    `Background load: CPU cores other processes used while each figure was measured (machine-wide busy time minus the engine's own; ${r.machine.cores} cores in all). High values mean that figure is depressed, multi-threaded engines with spin barriers (PyTorch's OpenMP) the most.`,
    '',
  );
  lines.push('| model | measure | ONNX Runtime | TF.js WASM | PyTorch CPU |');
  lines.push('|---|---|---:|---:|---:|');
  const bgc = (t: Any) => {
    if (!t) return '—';
    const v = t.best ? t[t.best]?.background_cores : t.background_cores;
    return v === undefined ? 'n/a' : v.toFixed(2);
  };
  for (const [name, mr] of ok) {
    for (const b of r.settings.batches as number[]) {
      lines.push(`| ${name} | forward, batch ${b} | ${bgc(mr.forward.onnxruntime?.[b])} | ${bgc(mr.forward.tfjs_wasm?.[b])} | ${bgc(mr.forward.pytorch?.[b])} |`);
    }
    const gb = new Set<string>([...Object.keys(mr.gradient.onnxruntime ?? {}), ...Object.keys(mr.gradient.tfjs_wasm ?? {}), ...Object.keys(mr.gradient.pytorch ?? {})]);
    for (const g of [...gb].sort((a, b) => Number(a) - Number(b))) {
      lines.push(`| ${name} | input gradient, batch ${g} | ${bgc(mr.gradient.onnxruntime?.[g])} | ${bgc(mr.gradient.tfjs_wasm?.[g])} | ${bgc(mr.gradient.pytorch?.[g])} |`);
    }
  }
  lines.push('');
  lines.push('| model | forward_vs_pytorch (ORT / PyTorch img/s, batch 8; target >= 1) | same, fastest runs | gradient_vs_pytorch (facelens best / PyTorch, batch 8) |');
  lines.push('|---|---:|---:|---:|');
  for (const [name, mr] of ok) {
    const gEngine = mr.gradient_best_engine ? ` (${mr.gradient_best_engine})` : '';
    lines.push(`| ${name} | ${fmt(mr.forward_vs_pytorch)} | ${fmt(mr.forward_vs_pytorch_best_run)} | ${fmt(mr.gradient_vs_pytorch, 3)}${gEngine} |`);
  }
  lines.push('');
  lines.push(
    `Agreement on the same seeded batch of ${r.settings.check_batch} images: max abs diff (and max abs diff / max |reference|); float64 = PyTorch in double precision on the first images (${Object.entries(r.settings.float64_images).map(([k, v]) => `${k}: ${v}`).join(', ')}); input gradients (float32 engines vs float64, on those images) as relative L2 error (max-abs relative in brackets).`,
    '',
  );
  lines.push('| model | ORT vs PyTorch (float32) | ORT vs float64 | TF.js vs ORT | input gradient vs float64 |');
  lines.push('|---|---|---|---|---|');
  for (const [name, mr] of ok) {
    const agr = mr.agreement ?? {};
    const ortPt = Object.entries<Any>(agr.onnxruntime_vs_pytorch ?? {})
      .map(([o, byFmt]) => {
        const ds = Object.values<D>(byFmt);
        if (!ds.length) return `${o} n/a`;
        return `${o} ${sci(Math.max(...ds.map((d) => d.max_abs)))} (${sci(Math.max(...ds.map((d) => d.rel)))})`;
      })
      .join('; ');
    const ortF64 = Object.entries<D>(agr.onnxruntime_vs_float64 ?? {})
      .map(([o, d]) => `${o} ${sci(d.max_abs)} (${sci(d.rel)})`)
      .join('; ');
    const tfOrt = Object.entries<D>(agr.tfjs_vs_onnxruntime ?? {})
      .map(([o, d]) => `${o} ${sci(d.max_abs)} (${sci(d.rel)})`)
      .join('; ');
    const label: Record<string, string> = { onnxruntime: 'ORT', tfjs_wasm: 'TF.js', pytorch_contiguous: 'PyTorch NCHW', pytorch_channels_last: 'PyTorch channels_last' };
    const grads = Object.entries<D & { rel_l2: number }>(agr.gradient_vs_float64 ?? {})
      .map(([k, d]) => `${label[k] ?? k} ${sci(d.rel_l2)} (${sci(d.rel)})`)
      .join('; ');
    lines.push(`| ${name} | ${ortPt || 'n/a'} | ${ortF64 || 'n/a'} | ${tfOrt || 'n/a'} | ${grads || 'n/a'} |`);
  }
  for (const [name, mr] of ok) {
    const v = mr.verify_end_to_end;
    if (v?.seconds !== undefined) lines.push('', `${name}: end-to-end \`facelens verify\` (all layers) on ${v.pairs_file}: ${fmt(v.seconds)} s wall.`);
    else if (v?.failed || v?.skipped) lines.push('', `${name}: end-to-end verify not measured: ${v.failed ?? v.skipped}`);
    if (mr.sweep_rss_mb) lines.push('', `${name}: sweep peak RSS (MB) by images: ${Object.entries<number>(mr.sweep_rss_mb).map(([k, x]) => `${k}: ${fmt(x)}`).join(', ')}`);
  }
  if (Array.isArray(r.am_step)) {
    lines.push('', 'Activation maximisation, dlib-resnet res256 #138 (target: one AM step <= 2x a forward+backward pass of the same engine):', '');
    lines.push('| engine | forward+backward ms | AM step ms | ratio |', '|---|---:|---:|---:|');
    for (const a of r.am_step) lines.push(`| ${a.engine} | ${fmt(a.fwd_bwd_ms)} | ${fmt(a.am_step_ms)} | ${a.ratio.toFixed(2)} |`);
  } else if (r.am_step?.failed) lines.push('', `AM step not measured: ${r.am_step.failed}`);
  const fe = r.front_end;
  if (fe?.align?.images_per_s) {
    const a = fe.align;
    lines.push('', `Face front end (issue 13), detect + align on the same ${a.images} LFW images:`, '');
    lines.push('| path | images/s |', '|---|---:|');
    lines.push(`| face-api (TF.js WASM, old) | ${fmt(a.images_per_s.faceapi)} |`, `| ONNX worker pool (default) | ${fmt(a.images_per_s.onnx_pool)} |`, `| ONNX in-process, N threads | ${fmt(a.images_per_s.onnx_inline)} |`);
    lines.push('', `speedup vs face-api: ${fmt(a.speedup_vs_faceapi)}x (target >= 10); pool vs inline: ${fmt(a.pool_vs_inline)}x`);
    if (a.cpu_speedup_vs_faceapi !== undefined) lines.push(`per CPU second: ${fmt(a.cpu_speedup_vs_faceapi)}x face-api's images (face-api uses one core, the pool every core: the wall speedup is about this times the cores)`);
  }
  if (fe?.ssd_roofline?.ms_per_pass !== undefined) {
    const q = fe.ssd_roofline;
    lines.push('', `SSD detector pass: ${fmt(q.gmac_per_pass)} GMAC in ${fmt(q.ms_per_pass)} ms on one thread = ${fmt(q.achieved_gmac_per_s)} GMAC/s; its five 1x1 512-channel layers alone: ${fmt(q.peak_conv_gmac_per_s)} GMAC/s (efficiency ${(100 * q.efficiency).toFixed(0)}%; ${fmt(q.ms_per_pass_at_peak)} ms per pass if every layer ran at that rate)`);
  }
  if (fe?.verify_cold?.seconds !== undefined) lines.push('', `verify (all layers, LFW, empty cache): ${fmt(fe.verify_cold.seconds)} s wall (target <= 180 s)`);
  if (fe?.pose_metrics?.cold) {
    const p = fe.pose_metrics;
    lines.push('', `pose on CFP: metrics ${fmt(p.cold.seconds.metrics)} s = ${(100 * p.cold.metrics_share).toFixed(1)}% of ${fmt(p.cold.wall_s)} s (empty cache), ${fmt(p.warm.seconds.metrics)} s = ${(100 * p.warm.metrics_share).toFixed(1)}% of ${fmt(p.warm.wall_s)} s (warm cache); target <= 10%`);
  }
  const errs = [
    ...failed.map(([name, mr]) => `- ${name}: benchmark failed: ${mr.failed}`),
    ...ok.flatMap(([name, mr]) => Object.entries<string>(mr.errors ?? {}).map(([k, v]) => `- ${name} / ${k}: ${v}`)),
  ];
  if (errs.length) lines.push('', 'Not measured:', ...errs);
  lines.push(
    '',
    `Method: ${r.settings.method}`,
    `ONNX Runtime: ${r.settings.onnxruntime}. PyTorch: ${r.settings.pytorch}. TF.js: ${r.settings.tfjs}.`,
    'PyTorch runs the same ONNX bytes (bench/torch_ref.py interprets them with torch.nn.functional), so architecture and weights are identical; the agreement columns check it.',
    '',
  );
  return lines.join('\n');
}
