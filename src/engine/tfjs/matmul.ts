/**
 * Products with constant weight matrices (Gemm / MatMul initializers), fast in both directions.
 *
 * WASM's BatchMatMul is only fast without transposes (a transposed 4096 x 4096 operand runs
 * about 10x slower). The forward pass x . W needs W as [K, M]; the input gradient dy . W^T
 * needs it as [M, K]. The [K, M] copy is made at load time; the [M, K] copy only the first
 * time a gradient flows through the layer (then both are kept: twice the memory for FC
 * weights in gradient work, e.g. VGG's fc6 adds 411 MB).
 */
import { tensorValues, type TensorProto } from '../onnx/proto.js';
import { tf } from './backend.js';

type Keep = <T extends tf.Tensor>(t: T) => T;

export class ConstMatrix {
  private mk?: tf.Tensor2D;

  private constructor(
    /** The weights as [K, M] (x [N, K] . km = [N, M]). */
    readonly km: tf.Tensor2D,
    private readonly keep: Keep,
  ) {}

  /** From a 2D initializer: [K, M], or [M, K] when `transposed` (Gemm's transB = 1). */
  static fromProto(t: TensorProto, transposed: boolean, keep: Keep): ConstMatrix {
    const [r, c] = (t.dims ?? []).map((d) => Number(d));
    const values = tensorValues(t) as Float32Array;
    const km = tf.tidy(() => {
      const m = tf.tensor2d(values, [r, c]);
      return transposed ? (tf.transpose(m) as tf.Tensor2D) : m;
    });
    return new ConstMatrix(keep(km), keep);
  }

  get inner(): number {
    return this.km.shape[0];
  }

  /** x [N, K] . W. Under tf.grad the input gradient is dy . W^T with the [M, K] copy; W gets none. */
  apply(x: tf.Tensor2D, tapeOn: boolean): tf.Tensor2D {
    if (!tapeOn) return tf.matMul(x, this.km);
    const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.matMul(args[0] as tf.Tensor2D, this.km) as tf.Tensor,
      gradFunc: (dy: tf.Tensor) => tf.matMul(dy as tf.Tensor2D, this.weightsMK()) as tf.Tensor,
    }));
    return f(x) as tf.Tensor2D;
  }

  private weightsMK(): tf.Tensor2D {
    this.mk ??= this.keep(tf.transpose(this.km) as tf.Tensor2D);
    return this.mk;
  }
}
