/**
 * Image file I/O for facelens: every image enters as an 8-bit sRGB `RgbImage` and leaves as PNG.
 * sharp (libvips) does the decoding; it runs on libuv's thread pool, so decoding overlaps with
 * TF.js work on the main thread.
 */
import { readFile } from 'node:fs/promises';
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { writeFileAtomic } from '../io/atomic.js';
import { rgbImage, type RgbImage } from './image.js';

/**
 * A file that is not a decodable image. Deliberately a plain Error, not a `UserError`: one bad
 * file in a dataset is skipped and recorded by the caller (see `alignedFaces`), not fatal.
 */
export class ImageDecodeError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot decode image ${path}: ${reason}`);
    this.name = 'ImageDecodeError';
  }
}

/** Image file extensions that dataset readers pick up (lower case, with dot). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff'] as const;

export function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

/**
 * Decodes an encoded image (JPEG, PNG, WebP, TIFF, ...) held in memory.
 * `label` (usually the file path) is only used in error messages.
 *
 * - EXIF orientation is applied (`.rotate()` without angle), so phone photos come out upright.
 * - Alpha is composited onto white (`flatten`), then dropped.
 * - Grey, CMYK and 16-bit inputs are converted to 8-bit sRGB with 3 channels.
 * - sharp's default `failOn: 'warning'` is kept on purpose: a truncated JPEG would otherwise
 *   decode "successfully" with a grey lower part and silently pollute an analysis.
 */
const RASTER_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff']);

export async function decodeImageBuffer(buf: Uint8Array, label = '<buffer>'): Promise<RgbImage> {
  let out: { data: Buffer; info: OutputInfo };
  let format: string | undefined;
  try {
    format = (await sharp(buf).metadata()).format;
  } catch {
    format = undefined; // the decode below reports why
  }
  // SVG / PDF / HEIF and other vector or document formats are not photos; librsvg & co. also
  // widen the attack surface (external references), so only raster photo formats are decoded.
  if (format !== undefined && !RASTER_FORMATS.has(format)) throw new ImageDecodeError(label, `${format} is not a supported image format (jpeg, png, webp, gif, tiff)`);
  try {
    out = await sharp(buf)
      .rotate()
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // Some libvips builds report a damaged JPEG only as "Warning treated as error due to failOn
    // setting"; say what that means.
    const reason = /failOn/.test(msg) ? `corrupt or truncated image data (${msg})` : msg;
    throw new ImageDecodeError(label, reason);
  }
  const { width, height, channels } = out.info;
  if (channels !== 3) {
    // Should not happen after toColourspace('srgb') + removeAlpha; guard so a libvips surprise
    // surfaces as a per-file decode error instead of a garbled image.
    throw new ImageDecodeError(label, `decoded to ${channels} channels, expected 3`);
  }
  // Copy into a plain, exactly-sized Uint8Array (sharp may hand back a pooled Buffer view).
  return rgbImage(width, height, new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length).slice());
}

/** Reads and decodes an image file; any failure (missing file included) is an `ImageDecodeError`. */
export async function decodeImage(path: string): Promise<RgbImage> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new ImageDecodeError(path, e instanceof Error ? e.message : String(e));
  }
  return decodeImageBuffer(buf, path);
}

function rawInput(img: RgbImage): Sharp {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
}

/** Lossless PNG encoding of an RgbImage. */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  return rawInput(img).png({ compressionLevel: 6 }).toBuffer();
}

/**
 * Writes `img` as PNG, creating parent folders. The bytes go to a temporary sibling first and are
 * renamed into place, so a reader never sees a half-written file.
 */
export async function writePng(path: string, img: RgbImage): Promise<void> {
  await writeFileAtomic(path, await encodePng(img), { sync: false });
}

/** Resizes to exactly `width` x `height` (aspect ratio not kept), Lanczos-3. */
export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`resizeRgb: bad size ${width}x${height}`);
  }
  if (width === img.width && height === img.height) return rgbImage(width, height, img.data.slice());
  const { data, info } = await rawInput(img)
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`resizeRgb: got ${info.channels} channels`);
  return rgbImage(width, height, new Uint8Array(data.buffer, data.byteOffset, data.length).slice());
}

/**
 * Resizes so that the shorter side is `size`, then crops the centre `size` x `size` square.
 * Used instead of face alignment when detection is off (`--no-detect`), e.g. for inputs that
 * are already face crops.
 */
export async function centreCropResize(img: RgbImage, size: number): Promise<RgbImage> {
  if (!Number.isInteger(size) || size < 1) throw new Error(`centreCrop: bad size ${size}`);
  // fit 'cover' + position 'centre' is exactly "shorter side to size, centre crop".
  const { data, info } = await rawInput(img)
    .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3) {
    throw new Error(`centreCrop: got ${info.width}x${info.height}x${info.channels}`);
  }
  return rgbImage(size, size, new Uint8Array(data.buffer, data.byteOffset, data.length).slice());
}
