/**
 * Forward img/s of dlib-resnet and vgg16-random (the VGG-16 of VGGFace, seeded random weights)
 * on every ONNX Runtime device that works here (`facelens models --devices`), as JSON on stdout;
 * the CUDA numbers come with the CPU ones of the same run, for a ratio.
 *   npx tsx bench/device-forward.ts [--batch 32] [--quick]
 */
import { OrtEngine } from '../src/engine/ort/engine.js';
import { DEVICES, deviceStatus } from '../src/engine/ort/device.js';
import { loadDlibResnet } from '../src/models/builtin/dlib-resnet.js';
import type { FaceModel } from '../src/models/face-model.js';
import { measure, type IterConfig } from './measure.js';
import { loadVgg16Random } from './vgg16-random.js';

const arg = (name: string) => process.argv.indexOf(name);
const batch = arg('--batch') > 0 ? Number(process.argv[arg('--batch') + 1]) : 32;
const quick = arg('--quick') > 0;
const cfg: IterConfig = quick ? { warmup: 1, minIters: 2, maxIters: 3, minTime: 0 } : { warmup: 3, minIters: 5, maxIters: 50, minTime: 3 };

const models: FaceModel[] = [await loadDlibResnet(), loadVgg16Random()];
const devices = await Promise.all(DEVICES.map(deviceStatus));
const results: Record<string, unknown>[] = [];
for (const d of devices.filter((x) => x.available)) {
  for (const model of models) {
    const { width, height } = model.inputSize;
    const input = new Float32Array(batch * 3 * width * height).map((_, i) => ((i * 2654435761) % 1000) / 10 - 50);
    const engine = await OrtEngine.create(model, { device: d.device });
    const last = model.probes[model.probes.length - 1].name;
    const t = await measure(() => engine.run(input, batch, [last]), batch, cfg);
    await engine.release();
    results.push({ device: d.device, model: model.name, batch, output: last, ...t });
  }
}
const cpu = (m: string) => results.find((r) => r.device === 'cpu' && r.model === m)?.img_per_s as number | undefined;
for (const r of results) if (r.device !== 'cpu') r.speedup_vs_cpu = (r.img_per_s as number) / (cpu(r.model as string) ?? NaN);
process.stdout.write(JSON.stringify({ devices, results }, null, 2) + '\n');
