/** An 8-bit RGB image, rows top to bottom, pixels interleaved (R, G, B). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export function rgbImage(width: number, height: number, data?: Uint8Array): RgbImage {
  const d = data ?? new Uint8Array(width * height * 3);
  if (d.length !== width * height * 3) {
    throw new Error(`rgbImage: ${d.length} bytes for ${width}x${height}x3`);
  }
  return { width, height, data: d };
}
