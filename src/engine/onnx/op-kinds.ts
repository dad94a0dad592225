/**
 * Facts about ONNX op types that several graph walks share (receptive fields, the atlas's
 * choice of a layer's input): which ops act on each element of one data input by itself.
 */

/**
 * Element-wise on one data input (other inputs, if any, are constants or attributes): the
 * activations found in face-recognition backbones (ReLU family, ReLU6 as Clip, Sigmoid / Tanh,
 * Swish and HardSwish, GELU's Erf, Mish's Softplus / Tanh), per-channel affine normalisations,
 * and plain unary arithmetic. Such an op keeps the spatial map: same cells, same receptive field.
 */
export const UNARY_ELEMENTWISE_OPS: ReadonlySet<string> = new Set([
  'Relu', 'PRelu', 'LeakyRelu', 'Elu', 'Selu', 'Celu', 'ThresholdedRelu', 'Clip',
  'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softplus', 'Softsign', 'Mish', 'Gelu', 'Erf',
  'Exp', 'Log', 'Neg', 'Abs', 'Sqrt', 'Reciprocal', 'Pow',
  'BatchNormalization', 'InstanceNormalization', 'Identity', 'Dropout', 'Cast',
]);

/** Arithmetic that facelens' walks treat as element-wise on its data input (scaling, shifting by constants or same-shaped maps). */
export const ARITHMETIC_OPS: ReadonlySet<string> = new Set(['Mul', 'Sub', 'Div']);
