/**
 * The AM stopping rule (maximize.ts): an octave stops when the best activation gained less than
 * plateauTol of its rise over the last plateauWindow steps. Checked on closed-form curves (the
 * stopping step of 1 - exp(-t / tau) solved by hand), and on whole `maximize` runs with a
 * synthetic objective (no network: value = -mean((z - target)^2) in the model's input space),
 * where the run must stop exactly where the rule first holds, record it, and repeat bit for bit
 * with the same seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maximize, MAXIMIZE_DEFAULTS, plateaued, plateauIndex, type NeuronGradient } from '../../../src/analyses/maximize/maximize.ts';
import { loadModel } from '../../../src/models/registry.ts';
import { mulberry32 } from '../../../src/core/random.ts';

test('plateauIndex on closed-form curves', () => {
  const W = 10, tol = 0.01;
  for (const tau of [7.3, 12.9, 30.1]) {
    const a = Array.from({ length: 600 }, (_, t) => 1 - Math.exp(-t / tau));
    // gain e^{-(t-W)/tau}(1 - e^{-W/tau}) <= tol (1 - e^{-t/tau})  <=>  t >= tau ln((e^{W/tau} - 1 + tol) / tol)
    const want = Math.max(W, Math.ceil(tau * Math.log((Math.exp(W / tau) - 1 + tol) / tol)));
    assert.equal(plateauIndex(a, W, tol), want, `tau ${tau}`);
  }
  // a straight ramp gains W / t of its rise per window: below 1% only after t = 100 W
  const ramp = Array.from({ length: 300 }, (_, t) => 2 * t - 5);
  assert.equal(plateauIndex(ramp, W, tol), undefined);
  assert.equal(plateauIndex(Array.from({ length: 1200 }, (_, t) => t), W, tol), 100 * W);
  // flat (never rose): stops once a whole window brings nothing
  assert.equal(plateauIndex(new Array(40).fill(3), W, tol), W);
  // noise around a saturated level does not count as gain once the best is reached
  const rng = mulberry32(4);
  const noisy = Array.from({ length: 400 }, (_, t) => (t < 50 ? t / 50 : 1) + 0.02 * (rng() - 0.5));
  const k = plateauIndex(noisy, W, tol)!;
  assert.ok(k >= 50 && k < 120, `noisy plateau at ${k}`);
  // the one-shot form agrees with the index
  assert.equal(plateaued(noisy.slice(0, k + 1), W, tol), true);
  assert.equal(plateaued(noisy.slice(0, k), W, tol), false);
});

const model = await loadModel('dlib-resnet');

/** value = -mean((z - T)^2) with T a fixed seeded pattern in input space. */
function quadratic(seed: number): NeuronGradient {
  const n = 3 * model.inputSize.width * model.inputSize.height;
  const rng = mulberry32(seed);
  const T = Float32Array.from({ length: n }, () => (rng() - 0.5) * 1.5);
  return async (z) => {
    let v = 0;
    const g = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const d = z[i]! - T[i]!;
      v -= (d * d) / n;
      g[i] = (-2 * d) / n;
    }
    return { value: v, grad: g };
  };
}

const base = { model, layer: 'res64', neuron: 0, init: 'noise' as const, jitter: 0, tvWeight: 0, octaves: 2, steps: 300, snapshots: 4, plateauWindow: 15, plateauTol: 0.01 };

test('maximize stops each octave where the rule first holds, records it, and repeats with the seed', async () => {
  const r = await maximize({ ...base, seed: 3, gradient: quadratic(1) });
  assert.equal(r.plateau.octaves.length, 2);
  let start = 0;
  for (const o of r.plateau.octaves) {
    assert.equal(o.plateaued, true, `octave ${o.octave} hit the cap`);
    assert.ok(o.steps < base.steps, `octave ${o.octave}: ${o.steps} steps`);
    // the octave's activations: its first value .. the value before its last step
    const seg = r.activations.slice(start, start + o.steps);
    assert.equal(plateauIndex(seg, base.plateauWindow, base.plateauTol), o.steps - 1, `octave ${o.octave}`);
    start += o.steps;
  }
  assert.equal(r.activations.length, start + 1);
  assert.equal(r.plateau.step, start - 1);
  assert.ok(r.finalActivation > r.initialActivation);
  assert.equal(r.snapshots[r.snapshots.length - 1]!.step, start, 'the strip ends with the final image');
  assert.match(r.plateau.rule, /best\(t\) - best\(t - 15\) <= 0\.01/);

  const again = await maximize({ ...base, seed: 3, gradient: quadratic(1) });
  assert.deepEqual(again.activations, r.activations);
  assert.deepEqual(again.plateau, r.plateau);
  assert.deepEqual(again.image.data, r.image.data);
  const other = await maximize({ ...base, seed: 4, gradient: quadratic(1) });
  assert.notDeepEqual(other.activations, r.activations);
});

test('a run that keeps rising stops at the cap with no plateau step; stop: fixed runs every step', async () => {
  let calls = 0;
  const ramp: NeuronGradient = async (z) => ({ value: calls++, grad: new Float32Array(z.length).fill(1) });
  const r = await maximize({ ...base, steps: 40, octaves: 1, gradient: ramp });
  assert.equal(r.plateau.step, null);
  assert.deepEqual(r.plateau.octaves, [{ octave: 0, steps: 40, plateaued: false }]);
  assert.equal(r.activations.length, 41);
  const f = await maximize({ ...base, steps: 25, stop: 'fixed', gradient: quadratic(1) });
  assert.equal(f.activations.length, 2 * 25 + 1);
  assert.equal(f.plateau.step, null);
  assert.equal(MAXIMIZE_DEFAULTS.stop, 'plateau');
});
