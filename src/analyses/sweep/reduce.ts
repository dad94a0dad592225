/**
 * A neuron's "projection value" on an image (paper, NOTES.md): the maximum of its feature map
 * over spatial positions, with the position of that maximum (first occurrence in row-major
 * order). For vector layers (fc, embedding) the value is the unit's output itself.
 */

/** Per image and channel: spatial max and its flat argmax (h * W + w). `out*` are [batch x C]. */
export function spatialMax(
  data: Float32Array,
  batch: number,
  channels: number,
  cells: number,
  outValues: Float32Array,
  outArgmax: Int32Array,
): void {
  for (let bc = 0; bc < batch * channels; bc++) {
    const base = bc * cells;
    let best = data[base];
    let arg = 0;
    for (let k = 1; k < cells; k++) {
      const v = data[base + k];
      if (v > best) {
        best = v;
        arg = k;
      }
    }
    outValues[bc] = best;
    outArgmax[bc] = arg;
  }
}
