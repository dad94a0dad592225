/**
 * X^T Y in float64 on ONNX Runtime (one Gemm node, transA = 1, double inputs): the cross
 * products of streamed CKA as a BLAS-class product instead of a JS loop, for large runs. The
 * float32 features are widened to float64 first, so every product is exact and only the
 * summation order differs from the JS path (agreement ~1e-15 relative).
 */
import ort from 'onnxruntime-node';
import { encodeModel, TensorDataType } from '../../engine/onnx/proto.js';

function doubleInput(name: string, dims: (number | string)[]) {
  return {
    name,
    type: { tensorType: { elemType: TensorDataType.DOUBLE, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}

export class OrtGemm {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(threads?: number): Promise<OrtGemm> {
    const bytes = encodeModel({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      producerName: 'facelens',
      graph: {
        name: 'xty',
        node: [{ opType: 'Gemm', name: 'xty', input: ['x', 'y'], output: ['c'], attribute: [{ name: 'transA', type: 2, i: 1 }] }],
        input: [doubleInput('x', ['n', 'dx']), doubleInput('y', ['n', 'dy'])],
        output: [doubleInput('c', ['dx', 'dy'])],
      },
    });
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      ...(threads ? { intraOpNumThreads: threads } : {}),
      interOpNumThreads: 1,
    });
    return new OrtGemm(session);
  }

  /** X^T Y for X rows x dx and Y rows x dy (row-major float64). */
  async xty(x: Float64Array, dx: number, y: Float64Array, dy: number, rows: number): Promise<Float64Array> {
    const res = await this.session.run({
      x: new ort.Tensor('float64', x, [rows, dx]),
      y: new ort.Tensor('float64', y, [rows, dy]),
    });
    return res.c!.data as Float64Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
