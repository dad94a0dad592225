#!/usr/bin/env python3
"""PyTorch reference for `npm run bench`.

Reads an ONNX file, turns it into a torch.nn.Module (a small interpreter for the ops facelens'
graphs use), times forward passes and input gradients on CPU, and prints ONE JSON line on stdout.
Progress goes to stderr. Run it with Debian's /usr/bin/python3 (python3-torch, python3-onnx,
python3-numpy).

Supported ops: Conv, Relu, MaxPool, AveragePool (pads, count_include_pad, ceil_mode), Pad (constant),
Add, Sub, Mul, GlobalAveragePool, Flatten, MatMul, Gemm, Identity, Constant.

Timing method (per batch size and memory format): `warmup` untimed runs, then repeat until both
`min_iters` runs and `min_time` seconds are done (or `max_iters` runs); images/s = batch / median
run time. Forward runs in eval mode under torch.no_grad(); the gradient is d(sum(output))/d(input)
by autograd (weights are buffers, so no weight gradients are computed). Both NCHW-contiguous and
channels_last are measured; the faster one is reported as `best`.

With --serve it loads once and then answers timing commands from stdin (one JSON line each), so
that the caller can interleave PyTorch's runs with its own engines' on a noisy shared machine.
"""
import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F


def log(msg):
    print(f"[torch] {msg}", file=sys.stderr, flush=True)


def attrs_of(node):
    out = {}
    for a in node.attribute:
        out[a.name] = onnx.helper.get_attribute_value(a)
    return out


def _pairs(pads):
    """ONNX 2-D pads [top, left, bottom, right] -> ((top, bottom), (left, right))."""
    if not pads:
        return (0, 0), (0, 0)
    return (pads[0], pads[2]), (pads[1], pads[3])


class OnnxModule(torch.nn.Module):
    """Runs an ONNX graph node by node with torch functional ops; initializers are buffers."""

    SUPPORTED = {
        "Conv", "Relu", "MaxPool", "AveragePool", "Pad", "Add", "Sub", "Mul", "GlobalAveragePool",
        "Flatten", "MatMul", "Gemm", "Identity", "Constant",
    }

    def __init__(self, model):
        super().__init__()
        g = model.graph
        self.buffer_of = {}  # ONNX tensor name -> buffer attribute name
        self.ints = {}  # int64 initializers / constants as python lists
        for i, t in enumerate(g.initializer):
            self._add_const(t.name, numpy_helper.to_array(t), i)
        init_names = {t.name for t in g.initializer}
        self.input_names = [v.name for v in g.input if v.name not in init_names]
        self.output_names = [v.name for v in g.output]
        self.nodes = []
        unsupported = set()
        for k, n in enumerate(g.node):
            a = attrs_of(n)
            if n.op_type == "Constant":
                self._add_const(n.output[0], numpy_helper.to_array(a["value"]), f"c{k}")
                continue
            if n.op_type not in self.SUPPORTED:
                unsupported.add(n.op_type)
            if n.domain not in ("", "ai.onnx"):
                unsupported.add(f"{n.domain}:{n.op_type}")
            self.nodes.append((n.op_type, list(n.input), list(n.output), a))
        if unsupported:
            raise ValueError(f"torch_ref: unsupported ONNX ops: {sorted(unsupported)}")
        self.op_counts = {}
        for op, *_ in self.nodes:
            self.op_counts[op] = self.op_counts.get(op, 0) + 1
        self._plans = {}

    def _add_const(self, name, arr, key):
        if arr.dtype in (np.int64, np.int32):
            self.ints[name] = [int(v) for v in arr.reshape(-1)]
        else:
            attr = f"w{key}"
            self.register_buffer(attr, torch.from_numpy(np.array(arr, dtype=np.float32, copy=True)))
            self.buffer_of[name] = attr

    def _plan(self, outputs):
        """Nodes needed for `outputs`, in graph order, and the step after which each value dies."""
        key = tuple(outputs)
        if key in self._plans:
            return self._plans[key]
        need = set(outputs)
        keep = []
        for node in reversed(self.nodes):
            if any(o in need for o in node[2]):
                keep.append(node)
                need.update(i for i in node[1] if i)
        keep.reverse()
        last_use = {}
        for step, node in enumerate(keep):
            for i in node[1]:
                last_use[i] = step
        drop = [[] for _ in keep]
        for name, step in last_use.items():
            if name not in outputs and name not in self.buffer_of and name not in self.ints:
                drop[step].append(name)
        self._plans[key] = (keep, drop)
        return keep, drop

    def forward(self, x, outputs=None):
        outputs = list(outputs or self.output_names)
        keep, drop = self._plan(outputs)
        env = {self.input_names[0]: x}

        def val(name):
            if name in env:
                return env[name]
            if name in self.buffer_of:
                return getattr(self, self.buffer_of[name])
            raise KeyError(name)

        for step, (op, ins, outs, a) in enumerate(keep):
            env[outs[0]] = self._run(op, ins, a, val)
            for name in drop[step]:
                env.pop(name, None)
        return {o: env[o] for o in outputs}

    def _run(self, op, ins, a, val):
        if op == "Conv":
            w = val(ins[1])
            b = val(ins[2]) if len(ins) > 2 and ins[2] else None
            x = val(ins[0])
            if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise ValueError("torch_ref: Conv auto_pad is not supported")
            (pt, pb), (pl, pr) = _pairs(a.get("pads"))
            if pt != pb or pl != pr:
                x = F.pad(x, (pl, pr, pt, pb))
                pt = pl = 0
            return F.conv2d(x, w, b, stride=tuple(a.get("strides", [1, 1])), padding=(pt, pl),
                            dilation=tuple(a.get("dilations", [1, 1])), groups=a.get("group", 1))
        if op == "Relu":
            return F.relu(val(ins[0]))
        if op == "MaxPool":
            x = val(ins[0])
            k = tuple(a["kernel_shape"])
            (pt, pb), (pl, pr) = _pairs(a.get("pads"))
            if pt != pb or pl != pr:
                x = F.pad(x, (pl, pr, pt, pb), value=-math.inf)
                pt = pl = 0
            return F.max_pool2d(x, k, stride=tuple(a.get("strides", [1, 1])), padding=(pt, pl),
                                dilation=tuple(a.get("dilations", [1, 1])), ceil_mode=bool(a.get("ceil_mode", 0)))
        if op == "AveragePool":
            x = val(ins[0])
            k = tuple(a["kernel_shape"])
            s = tuple(a.get("strides", [1, 1]))
            ceil = bool(a.get("ceil_mode", 0))
            include = bool(a.get("count_include_pad", 0))
            (pt, pb), (pl, pr) = _pairs(a.get("pads"))
            if pt == pb and pl == pr and 2 * pt <= k[0] and 2 * pl <= k[1]:
                return F.avg_pool2d(x, k, stride=s, padding=(pt, pl), ceil_mode=ceil, count_include_pad=include)
            # asymmetric / large pads: sum pool over the zero-padded input divided by the count
            xp = F.pad(x, (pl, pr, pt, pb))
            area = k[0] * k[1]
            summed = F.avg_pool2d(xp, k, stride=s, ceil_mode=ceil, count_include_pad=True) * area
            if include:
                return summed / area
            ones = F.pad(torch.ones_like(x[:1, :1]), (pl, pr, pt, pb))
            count = F.avg_pool2d(ones, k, stride=s, ceil_mode=ceil, count_include_pad=True) * area
            return summed / count
        if op == "Pad":
            mode = a.get("mode", b"constant")
            if mode not in (b"constant", "constant"):
                raise ValueError(f"torch_ref: Pad mode {mode!r} is not supported")
            x = val(ins[0])
            pads = self.ints[ins[1]] if len(ins) > 1 else list(a["pads"])
            value = 0.0
            if len(ins) > 2 and ins[2]:
                value = float(val(ins[2]).reshape(-1)[0])
            r = len(pads) // 2
            tp = []
            for d in reversed(range(r)):
                tp += [pads[d], pads[d + r]]
            return F.pad(x, tuple(tp), value=value)
        if op == "Add":
            return val(ins[0]) + val(ins[1])
        if op == "Sub":
            return val(ins[0]) - val(ins[1])
        if op == "Mul":
            return val(ins[0]) * val(ins[1])
        if op == "GlobalAveragePool":
            return val(ins[0]).mean(dim=(2, 3), keepdim=True)
        if op == "Flatten":
            x = val(ins[0])
            axis = a.get("axis", 1)
            lead = int(np.prod(x.shape[:axis])) if axis > 0 else 1
            return x.reshape(lead, -1)
        if op == "MatMul":
            return torch.matmul(val(ins[0]), val(ins[1]))
        if op == "Gemm":
            A = val(ins[0])
            B = val(ins[1])
            if a.get("transA", 0):
                A = A.t()
            if a.get("transB", 0):
                B = B.t()
            alpha = a.get("alpha", 1.0)
            beta = a.get("beta", 1.0)
            if len(ins) > 2 and ins[2]:
                return torch.addmm(val(ins[2]), A, B, beta=beta, alpha=alpha)
            y = A @ B
            return y * alpha if alpha != 1.0 else y
        if op == "Identity":
            return val(ins[0])
        raise ValueError(f"torch_ref: unsupported op {op}")


def measure(fn, batch, warmup, min_iters, max_iters, min_time):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_iters and (len(times) < min_iters or time.perf_counter() - start < min_time):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {
        "img_per_s": batch / med,
        "img_per_s_best": batch / min(times),
        "median_ms": med * 1000,
        "min_ms": min(times) * 1000,
        "iters": len(times),
        "warmup": warmup,
        "times_ms": [round(t * 1000, 3) for t in times],
    }


def blas_in_use():
    """The BLAS library this process has mapped (Debian picks it with update-alternatives)."""
    torch.randn(64, 64) @ torch.randn(64, 64)
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path)
                if "blas" in name or "mkl_rt" in name or "libmkl" in name:
                    libs.add(os.path.realpath(path))
    except OSError:
        return "unknown"
    if not libs:
        return "none mapped"
    kinds = []
    for lib in sorted(libs):
        if "openblas" in lib:
            kinds.append(f"OpenBLAS ({lib})")
        elif "/blas/" in lib:
            kinds.append(f"reference netlib BLAS, slow ({lib})")
        else:
            kinds.append(lib)
    return "; ".join(kinds)


def to_format(x, fmt):
    return x.contiguous(memory_format=torch.channels_last) if fmt == "channels_last" else x.contiguous()


class Bench:
    """The model in every memory format, the timing input, and the timed functions."""

    def __init__(self, args):
        self.args = args
        t0 = time.perf_counter()
        model = onnx.load(args.onnx)
        self.formats = [f for f in args.formats.split(",") if f]
        self.nets = {}
        for fmt in self.formats:
            net = OnnxModule(model).eval()
            if fmt == "channels_last":
                net = net.to(memory_format=torch.channels_last)
            elif fmt != "contiguous":
                raise ValueError(f"unknown format {fmt}")
            self.nets[fmt] = net
        del model
        self.load_s = time.perf_counter() - t0
        net = self.nets[self.formats[0]]
        log(f"loaded {args.onnx} in {self.load_s:.1f}s; ops {net.op_counts}")
        self.shape = [int(v) for v in args.shape.split(",")]
        self.check_x = None
        if args.check_input:
            xs = np.fromfile(args.check_input, dtype=np.float32).reshape([args.check_batch] + self.shape)
            self.check_x = torch.from_numpy(xs.copy())
        self.info = {
            "torch_version": torch.__version__,
            "python": platform.python_version(),
            "numpy_version": np.__version__,
            "onnx_version": onnx.__version__,
            "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
            "mkldnn": torch.backends.mkldnn.is_available(),
            "parallel_info": [l.strip() for l in torch.__config__.parallel_info().strip().splitlines()[:5]],
            "ops": net.op_counts,
            "load_s": self.load_s,
            "blas": blas_in_use(),
            "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY") if k in os.environ},
        }

    def write_check(self):
        """Runs the check batch through every format; saves outputs and input gradients."""
        a = self.args
        if self.check_x is None or not a.check_dir:
            return
        names = [n for n in a.check_outputs.split(",") if n] or [a.output]
        for fmt in self.formats:
            with torch.no_grad():
                outs = self.nets[fmt](to_format(self.check_x.clone(), fmt), names)
            for n in names:
                outs[n].contiguous().numpy().astype(np.float32).tofile(os.path.join(a.check_dir, f"{n}.{fmt}.f32"))
            if a.grad_batch > 0 and a.f64_images > 0:
                # float32 input gradient of the first f64_images images (compared with float64 below)
                x = to_format(self.check_x[: a.f64_images].clone(), fmt).requires_grad_(True)
                (g,) = torch.autograd.grad(self.nets[fmt](x, [a.output])[a.output].sum(), x)
                g.contiguous().numpy().astype(np.float32).tofile(os.path.join(a.check_dir, f"grad.{fmt}.f32"))
        if a.f64_images > 0:
            # float64 ground truth on the first images: tells float32 rounding from real disagreement
            # (a ReLU input within rounding of 0, or a max-pool window whose two largest values are
            # within rounding of each other, can go either way in float32 and move a whole patch of
            # the input gradient: float32 engines can then differ from each other by ~1e-2 locally).
            t0 = time.perf_counter()
            net64 = self._float64_net()
            x = self.check_x[: a.f64_images].double().requires_grad_(True)
            outs = net64(x, sorted(set(names + [a.output])))
            for n in names:
                outs[n].detach().numpy().astype(np.float32).tofile(os.path.join(a.check_dir, f"{n}.float64.f32"))
            if a.grad_batch > 0:
                (g,) = torch.autograd.grad(outs[a.output].sum(), x)
                g.numpy().astype(np.float32).tofile(os.path.join(a.check_dir, "grad.float64.f32"))
            del net64, outs
            log(f"float64 reference on {a.f64_images} images in {time.perf_counter() - t0:.1f}s")
        log("agreement outputs written")

    def _float64_net(self):
        import copy
        net = copy.deepcopy(self.nets["contiguous"]) if "contiguous" in self.nets else copy.deepcopy(self.nets[self.formats[0]])
        return net.double().to(memory_format=torch.contiguous_format)

    def timing(self, batch, fmt, grad, warmup, min_iters, max_iters, min_time):
        if self.check_x is not None and batch <= self.check_x.shape[0]:
            x0 = self.check_x[:batch].clone()  # the same images the other engines time
        else:
            x0 = torch.randn([batch] + self.shape)
        m = self.nets[fmt]
        out = self.args.output
        if grad:
            def fn():
                x = to_format(x0, fmt).requires_grad_(True)
                y = m(x, [out])[out]
                (g,) = torch.autograd.grad(y.sum(), x)
                return g
        else:
            def fn():
                with torch.no_grad():
                    return m(to_format(x0, fmt), [out])[out]
        r = measure(fn, batch, warmup, min_iters, max_iters, min_time)
        log(f"{'gradient' if grad else 'forward'} batch {batch} {fmt}: {r['img_per_s']:.2f} img/s ({r['iters']} runs)")
        return r


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--onnx", required=True)
    p.add_argument("--shape", required=True, help="per-image input shape C,H,W")
    p.add_argument("--output", required=True, help="output timed and differentiated (its sum)")
    p.add_argument("--check-outputs", default="", help="comma list of outputs saved for the agreement check")
    p.add_argument("--batches", default="1,8")
    p.add_argument("--grad-batch", type=int, default=8, help="0 = no gradient timing")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--formats", default="contiguous,channels_last")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--min-iters", type=int, default=3)
    p.add_argument("--max-iters", type=int, default=100)
    p.add_argument("--min-time", type=float, default=3.0)
    p.add_argument("--check-input", default="", help="raw float32 NCHW batch: agreement check and timing input")
    p.add_argument("--check-batch", type=int, default=8)
    p.add_argument("--check-dir", default="", help="where <output>.<format>.f32 (check batch) and grad.<format>.f32 (first --f64-images images) are written")
    p.add_argument("--f64-images", type=int, default=2,
                   help="write <output>.float64.f32 / grad.float64.f32 (and the float32 gradients) for the first N check images (0 = off)")
    p.add_argument("--serve", action="store_true",
                   help="after loading, print {\"ready\": ...} and answer JSON commands read line by line from stdin "
                        "({\"op\": \"forward\"|\"gradient\", \"batch\", \"format\", \"warmup\", \"min_iters\", "
                        "\"max_iters\", \"min_time\"} or {\"op\": \"quit\"}), one JSON line per answer; lets the caller "
                        "interleave PyTorch's runs with its own")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(args.seed)

    b = Bench(args)
    b.write_check()

    if args.serve:
        print(json.dumps({"ready": True, "formats": b.formats, **b.info}), flush=True)
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                cmd = json.loads(line)
                if cmd.get("op") == "quit":
                    break
                r = b.timing(int(cmd["batch"]), cmd["format"], cmd["op"] == "gradient", int(cmd.get("warmup", args.warmup)),
                             int(cmd.get("min_iters", args.min_iters)), int(cmd.get("max_iters", args.max_iters)),
                             float(cmd.get("min_time", args.min_time)))
                print(json.dumps(r), flush=True)
            except Exception as e:  # answer, keep serving
                print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)
        return

    result = {**b.info, "forward": {}, "gradient": {}}

    def run_all(batch, grad):
        entry = {}
        for fmt in b.formats:
            r = b.timing(batch, fmt, grad, args.warmup, args.min_iters, args.max_iters, args.min_time)
            r.pop("times_ms", None)
            entry[fmt] = r
        best = max(b.formats, key=lambda f: entry[f]["img_per_s"])
        entry["best"] = best
        entry["img_per_s"] = entry[best]["img_per_s"]
        return entry

    for bs in [int(v) for v in args.batches.split(",") if v]:
        result["forward"][str(bs)] = run_all(bs, False)
    if args.grad_batch > 0:
        result["gradient"][str(args.grad_batch)] = run_all(args.grad_batch, True)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
