/**
 * Where ONNX Runtime runs the forward passes: `cpu` (bundled with onnxruntime-node) or `cuda`
 * (ONNX Runtime's CUDA execution provider). The CUDA provider library is not in the npm package;
 * onnxruntime-node's install script fetches it when asked to (ONNXRUNTIME_NODE_INSTALL=cuda12),
 * and it then needs an NVIDIA driver, CUDA 12 and cuDNN 9 on the machine. `requireDevice` checks
 * all of that by opening a one-node session on the device and turns a failure into one line that
 * names what is missing.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { UserError } from '../../core/errors.js';
import { GraphBuilder } from '../onnx/builder.js';

export const DEVICES = ['cpu', 'cuda'] as const;
export type Device = (typeof DEVICES)[number];

export const CUDA_INSTALL = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node';

let current: Device = 'cpu';

/** The device that engines created from now on use (the CLI's `--device`). */
export function setDevice(d: Device): void {
  current = d;
}

export function currentDevice(): Device {
  return current;
}

/** ONNX Runtime's execution providers for a device; CPU stays as the fallback for any op CUDA lacks. */
export function executionProviders(d: Device = current): string[] {
  return d === 'cuda' ? ['cuda', 'cpu'] : ['cpu'];
}

export function parseDevice(v: string): Device {
  if ((DEVICES as readonly string[]).includes(v)) return v as Device;
  throw new UserError(`--device must be one of ${DEVICES.join(', ')}, got "${v}"`);
}

/** onnxruntime-node's native folder for this platform (bin/napi-v6/<platform>/<arch>). */
export function ortBinaryDir(): string {
  const req = createRequire(import.meta.url);
  const pkg = path.dirname(path.dirname(req.resolve('onnxruntime-node')));
  return path.join(pkg, 'bin', 'napi-v6', os.platform(), os.arch());
}

export interface DeviceStatus {
  device: Device;
  available: boolean;
  /** What is used, or what is missing (one line). */
  detail: string;
}

let probes: Partial<Record<Device, Promise<DeviceStatus>>> = {};

/** A one-node model (Relu) to open a session on the device with. */
function probeModel(): Uint8Array {
  const g = new GraphBuilder('device-probe');
  const x = g.input('x', [1, 4]);
  g.node('Relu', [x], {}, 'y');
  g.output('y', [1, 4]);
  return g.build();
}

/** The shared libraries named in an ONNX Runtime load error ("libcublasLt.so.12: cannot open ..."). */
export function missingLibrary(message: string): string | undefined {
  return /([\w.+-]+\.(?:so(?:\.\d+)*|dll|dylib))\s*:\s*cannot open shared object file/.exec(message)?.[1] ?? /Error loading "?([^"\s]+\.dll)/.exec(message)?.[1];
}

async function probe(device: Device): Promise<DeviceStatus> {
  if (device === 'cpu') return { device, available: true, detail: `ONNX Runtime ${ort.env.versions.node ?? ''} CPU (bundled), ${os.availableParallelism()} threads`.replace('  ', ' ') };
  const backends = ort.listSupportedBackends?.() ?? [];
  if (!backends.some((b) => b.name === 'cuda')) {
    return { device, available: false, detail: `this onnxruntime-node build has no CUDA provider on ${os.platform()}/${os.arch()} (CUDA needs linux/x64 or win32/x64)` };
  }
  const lib = path.join(ortBinaryDir(), os.platform() === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so');
  if (!existsSync(lib)) {
    return { device, available: false, detail: `ONNX Runtime's CUDA provider library is not installed (${lib} missing): run \`${CUDA_INSTALL}\`` };
  }
  try {
    const s = await ort.InferenceSession.create(probeModel(), { executionProviders: ['cuda'] });
    await s.release();
    return { device, available: true, detail: `ONNX Runtime CUDA provider (${lib})` };
  } catch (e) {
    const msg = (e as Error).message.replace(/\s+/g, ' ');
    const missing = missingLibrary(msg);
    const why = missing
      ? `${missing} cannot be loaded (it needs an NVIDIA driver, CUDA 12 and cuDNN 9 on the library path)`
      : /no CUDA-capable device|CUDA driver|cudaErrorNoDevice|cudaErrorInsufficientDriver/i.test(msg)
        ? `no usable NVIDIA GPU or driver (${msg.slice(0, 160)})`
        : msg.slice(0, 200);
    return { device, available: false, detail: `ONNX Runtime's CUDA provider is installed but does not start: ${why}` };
  }
}

/** Whether a device works here, probed once per process. */
export function deviceStatus(device: Device): Promise<DeviceStatus> {
  probes[device] ??= probe(device);
  return probes[device]!;
}

/** Throws a one-line UserError naming what is missing unless the device works here. */
export async function requireDevice(device: Device): Promise<void> {
  const s = await deviceStatus(device);
  if (!s.available) throw new UserError(`--device ${device}: ${s.detail}`);
}

/** For tests: forget the probed statuses. */
export function resetDeviceProbes(): void {
  probes = {};
}
