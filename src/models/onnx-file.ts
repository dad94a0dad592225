/**
 * `--model path/to/model.onnx`: a user's ONNX face model plus its description (onnx-config.ts).
 * Probes come from `--probe name=tensor` (CLI), else the description, else automatic discovery
 * (auto-probes.ts); their tensors are made graph outputs in the bytes the FaceModel carries.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { decodeModel, type ModelProto } from '../engine/onnx/proto.js';
import { dryRunShapes, probeCandidates, probeFor, withProbeOutputs, type ProbeCandidate, type TensorInfo } from './auto-probes.js';
import type { FaceModel, ProbeLayer } from './face-model.js';
import { readOnnxConfig, sidecarConfig, type ConfigProbe, type OnnxModelConfig } from './onnx-config.js';
import { receptiveFields } from './receptive-field.js';
import { templateFor } from './template-lookup.js';
import { DLIB_150_TEMPLATE } from './templates.js';

export interface OnnxFileOptions {
  /** Description file; default: the sidecar `<model>.facelens.json` when present. */
  config?: string;
  /** name -> tensor; replaces the description's probes. */
  probes?: Record<string, string>;
}

/** Defaults for what a description leaves out (insightface / ArcFace conventions). */
export const ONNX_DEFAULT_PREPROCESSING = { mean: [127.5, 127.5, 127.5] as [number, number, number], std: [127.5, 127.5, 127.5] as [number, number, number], channelOrder: 'RGB' as const };

interface OpenedOnnx {
  label: string;
  bytes: Uint8Array;
  proto: ModelProto;
  inputName: string;
  inputSize: { width: number; height: number };
  shapes: Map<string, TensorInfo>;
  config: OnnxModelConfig;
  configFile?: string;
}

/**
 * Tensors stored outside the .onnx file (external data) must name files inside the model's
 * folder: ONNX Runtime would otherwise open whatever `location` says (see model-files.ts).
 */
function checkExternalData(file: string, proto: ModelProto): void {
  const dir = path.dirname(path.resolve(file));
  const realDir = (() => {
    try {
      return fs.realpathSync(dir);
    } catch {
      return dir;
    }
  })();
  const within = (p: string, d: string) => p.startsWith(d.endsWith(path.sep) ? d : d + path.sep);
  const tensors = [...(proto.graph?.initializer ?? [])];
  for (const n of proto.graph?.node ?? []) for (const a of n.attribute ?? []) if (a.t) tensors.push(a.t);
  for (const t of tensors) {
    for (const e of t.externalData ?? []) {
      if (e.key !== 'location') continue;
      const ref = e.value ?? '';
      const where = `${path.basename(file)}: external data of tensor ${t.name ?? '?'} (${JSON.stringify(ref)})`;
      if (ref === '' || ref.includes('\0') || path.isAbsolute(ref) || ref.includes('\\')) throw new UserError(`${where} must be a relative path inside the model's folder`);
      const target = path.resolve(dir, ref);
      if (!within(target, dir)) throw new UserError(`${where} lies outside the model's folder; refused`);
      let real = target;
      try {
        real = fs.realpathSync(target);
      } catch {
        continue;
      }
      if (!within(real, realDir)) throw new UserError(`${where} links outside the model's folder; refused`);
    }
  }
}

function readModel(file: string): { bytes: Uint8Array; proto: ModelProto } {
  const label = path.basename(file);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(file));
  } catch {
    throw new UserError(`${label}: no such file (${file})`);
  }
  let proto: ModelProto;
  try {
    proto = decodeModel(bytes);
  } catch (e) {
    throw new UserError(`${label}: not an ONNX model (${(e as Error).message})`);
  }
  if (!proto.graph || (proto.graph.node ?? []).length === 0) throw new UserError(`${label}: not an ONNX model (no graph nodes)`);
  checkExternalData(file, proto);
  return { bytes, proto };
}

function pickInput(label: string, proto: ModelProto, wanted?: string): { name: string; dims: (number | undefined)[] } {
  const graph = proto.graph!;
  const weights = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => !weights.has(i.name));
  const input = wanted ? inputs.find((i) => i.name === wanted) : inputs.length === 1 ? inputs[0] : undefined;
  if (!input) {
    const names = inputs.map((i) => i.name).join(', ');
    throw new UserError(
      wanted ? `${label}: no graph input "${wanted}"; inputs: ${names}` : `${label}: ${inputs.length} graph inputs (${names}); name one with "input" in the description`,
    );
  }
  const dims = (input.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : undefined));
  if (dims.length !== 4 || (dims[1] !== undefined && dims[1] !== 3)) {
    throw new UserError(`${label}: input ${input.name} must be an NCHW image batch [N,3,H,W], got [${dims.map((d) => d ?? '?').join(',')}]`);
  }
  return { name: input.name!, dims };
}

async function openOnnx(file: string, opts: OnnxFileOptions): Promise<OpenedOnnx> {
  const label = path.basename(file);
  const { bytes, proto } = readModel(file);
  const configFile = opts.config ?? sidecarConfig(file);
  const config = configFile ? readOnnxConfig(configFile) : {};
  const input = pickInput(label, proto, config.input);
  const width = config.inputSize?.width ?? input.dims[3];
  const height = config.inputSize?.height ?? input.dims[2];
  if (!width || !height) throw new UserError(`${label}: input ${input.name} has no fixed size; give "inputSize" in the description`);
  if ((input.dims[3] && input.dims[3] !== width) || (input.dims[2] && input.dims[2] !== height)) {
    throw new UserError(`${label}: inputSize ${width}x${height} differs from the graph input [${input.dims.map((d) => d ?? '?').join(',')}]`);
  }
  let shapes: Map<string, TensorInfo>;
  try {
    shapes = await dryRunShapes(bytes, input.name, [1, 3, height, width]);
  } catch (e) {
    throw new UserError(`${label}: ONNX Runtime could not run the model on a ${width}x${height} input (${(e as Error).message.split('\n')[0]})`);
  }
  return { label, bytes, proto, inputName: input.name, inputSize: { width, height }, shapes, config, configFile };
}

/** Main-path and output tensors of the model, `picked` = the automatic probes. */
export async function onnxProbeCandidates(file: string, opts: OnnxFileOptions = {}): Promise<ProbeCandidate[]> {
  const m = await openOnnx(file, opts);
  return probeCandidates(m.bytes, m.inputName, m.shapes);
}

function resolveProbes(m: OpenedOnnx, wanted: ConfigProbe[], source: string): ProbeLayer[] {
  const rf = receptiveFields(m.bytes, m.inputName);
  const outputs = new Set((m.proto.graph!.output ?? []).map((o) => o.name));
  const nodeOutput = new Map((m.proto.graph!.node ?? []).map((n) => [n.name ?? '', n.output?.[0] ?? '']));
  return wanted.map((w) => {
    const tensor = m.shapes.has(w.tensor) ? w.tensor : nodeOutput.get(w.tensor);
    const info = tensor ? m.shapes.get(tensor) : undefined;
    if (!tensor || !info) {
      const cands = probeCandidates(m.bytes, m.inputName, m.shapes).map((c) => `${c.tensor} [${c.shape.join('x')}]`);
      throw new UserError(
        `${m.label}: probe ${w.name} (${source}): no tensor or node "${w.tensor}"; main-path candidates: ${cands.join(', ')}`,
      );
    }
    if (info.type !== 'float32') throw new UserError(`${m.label}: probe ${w.name}: tensor ${tensor} is ${info.type}, not float32`);
    const p = probeFor(w.name, tensor, info, outputs.has(tensor), rf);
    return { ...p, ...(w.kind ? { kind: w.kind } : {}), ...(w.note ? { note: w.note } : {}) };
  });
}

export async function loadOnnxFile(file: string, opts: OnnxFileOptions = {}): Promise<FaceModel> {
  const m = await openOnnx(file, opts);
  const cli = opts.probes && Object.keys(opts.probes).length > 0 ? Object.entries(opts.probes).map(([name, tensor]) => ({ name, tensor })) : undefined;
  let probes: ProbeLayer[];
  if (cli) probes = resolveProbes(m, cli, '--probe');
  else if (m.config.probes && m.config.probes.length > 0) probes = resolveProbes(m, m.config.probes, path.basename(m.configFile ?? ''));
  else probes = probeCandidates(m.bytes, m.inputName, m.shapes).filter((c) => c.picked).map(({ picked: _, ...p }) => p);
  const dup = probes.find((p, i) => probes.findIndex((q) => q.name === p.name) !== i);
  if (dup) throw new UserError(`${m.label}: two probes are called ${dup.name}`);
  const pre = m.config.preprocessing ?? {};
  const size = Math.max(m.inputSize.width, m.inputSize.height);
  const name = m.config.name ?? path.basename(file, path.extname(file));
  return {
    name,
    description:
      m.config.description ??
      `ONNX model ${m.label} (${m.inputSize.width}x${m.inputSize.height}${m.configFile ? `, described by ${path.basename(m.configFile)}` : ', no description: default preprocessing and alignment'})`,
    inputSize: m.inputSize,
    inputName: m.inputName,
    preprocessing: {
      mean: pre.mean ?? ONNX_DEFAULT_PREPROCESSING.mean,
      std: pre.std ?? ONNX_DEFAULT_PREPROCESSING.std,
      channelOrder: pre.channelOrder ?? ONNX_DEFAULT_PREPROCESSING.channelOrder,
      layout: 'NCHW',
    },
    probes,
    onnx: withProbeOutputs(m.bytes, probes),
    alignment: templateFor(m.config.alignment ?? DLIB_150_TEMPLATE.name, size),
  };
}
