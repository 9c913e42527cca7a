#!/usr/bin/env python3
"""Write Tests/NeuralNetTests/Fixtures/optimizers.h5: golden torch.optim trajectories for the
NeuralNet optimizers (SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, NAdam).

Requires:  pip install torch h5py numpy            (run by hand only; no test needs Python)
Usage:     python3 tools/make-optimizer-fixtures.py [--out PATH]

For every case, PyTorch's optimizer minimises the fixed quadratic

    f(w) = 1/2 * sum_i a_i (w_i - c_i)^2,     gradient g_i = a_i * (w_i - c_i)

over N = 8 float32 parameters for STEPS = 5 steps. The gradient is set by hand, computed in
float32 as a * (w - c) -- exactly what the Swift tests compute -- rather than by autograd, so both
sides feed the optimizer the same bits. Learning rates are float32 values (the Swift optimizers
receive the schedule's rate as a Float), written as the float64 of that float32; the other
hyper-parameters are PyTorch's float64 values (the defaults where the case does not vary them).
The optimizers run with foreach=False: the single-tensor implementation, which is what PyTorch
uses for CPU tensors anyway.

Each case is run twice:
  trajectory             plain torch.optim
  trajectory_exact_sqrt  the same, but with torch.sqrt / Tensor.sqrt / Tensor.sqrt_ replaced
                         (through a TorchFunctionMode) by the correctly rounded float32 square root.
PyTorch's CPU sqrt for float32 is Intel MKL's vsSqrt, which is off by one ulp for about a fifth of
all inputs (and may differ between CPUs); Swift's Float.squareRoot() is correctly rounded. The
second trajectory shows that this is the only difference: the Swift optimizers reproduce it bit
for bit. For cases without a square root (SGD, Adamax) both trajectories are the same.

PyTorch's float32 kernels fuse the multiply-adds of lerp, add(alpha=) and addcmul on its AVX2 and
AVX-512 builds (GCC contracts them), not on its DEFAULT build: run this on a CPU where
torch.backends.cpu.get_cpu_capability() is AVX2 or AVX512 (recorded as cpu_capability).

Layout (all float arrays hold float32 values; the trajectories and states as float64):
  /                      attributes: generator, torch_version, h5py_version, numpy_version,
                         cpu_capability, steps, parameters, gradient
  /defaults/<name>       attributes: PyTorch's default lr and hyper-parameters of each optimizer
                         (from the constructor's signature; names and encoding as for the cases)
  /cases/<case>/         attributes: optimizer (the h5train name: sgd, rmsprop, ...),
                         torch_class, lr, steps, uses_sqrt (0/1), state_names (comma-separated,
                         in the Swift state layout order), and every hyper-parameter under
                         PyTorch's name (betas split into beta1, beta2; booleans as 0/1)
  /cases/<case>/w0, a, c       (N,) float32
  /cases/<case>/trajectory             (STEPS, N) float64: parameters after each step
  /cases/<case>/trajectory_exact_sqrt  (STEPS, N) float64
  /cases/<case>/final_state            (K, N) float64: the optimizer's state after the last step, one
                                 row per state buffer in the order of state_names (K may be 0)
  /cases/<case>/final_state_exact_sqrt (K, N) float64

Deterministic: no random numbers, no timestamps (track_times=False), so re-running gives the same
bytes for the same torch build and CPU.
"""
import argparse
import inspect
import os

import h5py
import numpy as np
import torch
from torch.overrides import TorchFunctionMode

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "Tests", "NeuralNetTests", "Fixtures", "optimizers.h5"))
STEPS = 5

# The quadratic. w0[7] == c[7]: that parameter's first gradient is exactly zero.
A = np.array([0.5, 1.0, 1.5, 2.0, 3.0, 0.25, 0.75, 2.5], dtype=np.float32)
C = np.array([0.3, -1.2, 0.0, 2.0, -0.5, 1.7, -2.4, 0.9], dtype=np.float32)
W0 = np.array([1.0, -2.0, 0.5, 3.0, -0.75, 4.0, -1.1, 0.9], dtype=np.float32)


def f32(x):
    """The float64 value of the float32 nearest x."""
    return float(np.float32(x))


# (case, h5train name, torch class, lr, hyper-parameters, state names in the Swift layout order).
# Hyper-parameters not listed take PyTorch's defaults, which are recorded too.
CASES = [
    ("sgd_plain", "sgd", torch.optim.SGD, 0.1, {}, []),
    ("sgd_momentum", "sgd", torch.optim.SGD, 0.05, {"momentum": 0.9}, ["momentum_buffer"]),
    ("sgd_nesterov", "sgd", torch.optim.SGD, 0.05, {"momentum": 0.9, "nesterov": True}, ["momentum_buffer"]),
    ("sgd_dampening", "sgd", torch.optim.SGD, 0.05, {"momentum": 0.9, "dampening": 0.1}, ["momentum_buffer"]),
    ("sgd_weight_decay", "sgd", torch.optim.SGD, 0.1, {"weight_decay": 0.01}, []),
    ("sgd_nesterov_weight_decay", "sgd", torch.optim.SGD, 0.05,
     {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, ["momentum_buffer"]),
    ("rmsprop", "rmsprop", torch.optim.RMSprop, 0.01, {}, ["square_avg"]),
    ("rmsprop_centered", "rmsprop", torch.optim.RMSprop, 0.01, {"centered": True}, ["square_avg", "grad_avg"]),
    ("rmsprop_momentum", "rmsprop", torch.optim.RMSprop, 0.01, {"momentum": 0.9}, ["square_avg", "momentum_buffer"]),
    ("rmsprop_centered_momentum_weight_decay", "rmsprop", torch.optim.RMSprop, 0.01,
     {"alpha": 0.9, "centered": True, "momentum": 0.5, "weight_decay": 0.01, "eps": 1e-6},
     ["square_avg", "grad_avg", "momentum_buffer"]),
    # alpha < 0.5: grad_avg.lerp_ takes its other branch, end - (end - start) * (1 - weight)
    ("rmsprop_centered_small_alpha", "rmsprop", torch.optim.RMSprop, 0.01, {"alpha": 0.4, "centered": True},
     ["square_avg", "grad_avg"]),
    ("adagrad", "adagrad", torch.optim.Adagrad, 0.01, {}, ["sum"]),
    ("adagrad_lr_decay", "adagrad", torch.optim.Adagrad, 0.1,
     {"lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01}, ["sum"]),
    ("adadelta", "adadelta", torch.optim.Adadelta, 1.0, {}, ["square_avg", "acc_delta"]),
    ("adadelta_weight_decay", "adadelta", torch.optim.Adadelta, 0.5,
     {"rho": 0.95, "eps": 1e-5, "weight_decay": 0.01}, ["square_avg", "acc_delta"]),
    ("adam", "adam", torch.optim.Adam, 1e-3, {}, ["exp_avg", "exp_avg_sq"]),
    ("adam_amsgrad", "adam", torch.optim.Adam, 0.05, {"betas": (0.8, 0.9), "amsgrad": True},
     ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
    # beta1 < 0.5: exp_avg.lerp_ takes its other branch
    ("adam_small_beta1", "adam", torch.optim.Adam, 0.01, {"betas": (0.3, 0.99)}, ["exp_avg", "exp_avg_sq"]),
    ("adam_weight_decay", "adam", torch.optim.Adam, 0.01, {"weight_decay": 0.01}, ["exp_avg", "exp_avg_sq"]),
    ("adamw", "adamw", torch.optim.AdamW, 0.01, {}, ["exp_avg", "exp_avg_sq"]),
    ("adamw_amsgrad", "adamw", torch.optim.AdamW, 0.05, {"betas": (0.8, 0.9), "amsgrad": True, "weight_decay": 0.1},
     ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
    ("adamax", "adamax", torch.optim.Adamax, 2e-3, {}, ["exp_avg", "exp_inf"]),
    ("adamax_weight_decay", "adamax", torch.optim.Adamax, 0.01, {"betas": (0.8, 0.99), "weight_decay": 0.01},
     ["exp_avg", "exp_inf"]),
    ("nadam", "nadam", torch.optim.NAdam, 2e-3, {}, ["exp_avg", "exp_avg_sq"]),
    ("nadam_weight_decay", "nadam", torch.optim.NAdam, 0.01, {"weight_decay": 0.01, "momentum_decay": 0.01},
     ["exp_avg", "exp_avg_sq"]),
    ("nadam_decoupled_weight_decay", "nadam", torch.optim.NAdam, 0.01,
     {"weight_decay": 0.1, "decoupled_weight_decay": True}, ["exp_avg", "exp_avg_sq"]),
]

# Hyper-parameters recorded per torch class (PyTorch's names); everything else in param_groups
# (foreach, maximize, capturable, differentiable, fused, ...) is left at its default.
RECORDED = {
    torch.optim.SGD: ["momentum", "dampening", "weight_decay", "nesterov"],
    torch.optim.RMSprop: ["alpha", "eps", "weight_decay", "momentum", "centered"],
    torch.optim.Adagrad: ["lr_decay", "weight_decay", "initial_accumulator_value", "eps"],
    torch.optim.Adadelta: ["rho", "eps", "weight_decay"],
    torch.optim.Adam: ["betas", "eps", "weight_decay", "amsgrad", "decoupled_weight_decay"],
    torch.optim.AdamW: ["betas", "eps", "weight_decay", "amsgrad"],
    torch.optim.Adamax: ["betas", "eps", "weight_decay"],
    torch.optim.NAdam: ["betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay"],
}


class CorrectlyRoundedSqrt(TorchFunctionMode):
    """Replaces PyTorch's float32 sqrt (MKL vsSqrt, not always correctly rounded) by numpy's,
    which is the correctly rounded IEEE square root."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in (torch.sqrt, torch.Tensor.sqrt, torch.Tensor.sqrt_) and not kwargs:
            (x,) = args
            assert x.dtype == torch.float32, x.dtype
            self.calls += 1
            root = torch.from_numpy(np.sqrt(x.detach().numpy()))
            if func is torch.Tensor.sqrt_:
                x.copy_(root)
                return x
            return root
        return func(*args, **kwargs)


def run(cls, lr, hyper, exact_sqrt):
    """STEPS steps of cls on the quadratic: (trajectory (STEPS, N), the optimizer, sqrt calls)."""
    w = torch.tensor(W0, dtype=torch.float32, requires_grad=True)
    a, c = torch.from_numpy(A.copy()), torch.from_numpy(C.copy())
    opt = cls([w], lr=lr, foreach=False, **hyper)
    mode = CorrectlyRoundedSqrt() if exact_sqrt else None
    path = []
    for _ in range(STEPS):
        with torch.no_grad():
            w.grad = a * (w.detach() - c)  # float32, the same bits as the Swift test's a[i] * (w[i] - c[i])
        if mode is not None:
            with mode:
                opt.step()
        else:
            opt.step()
        path.append(w.detach().numpy().astype(np.float64).copy())
    return np.stack(path), opt, (mode.calls if mode is not None else 0)


def record(attrs, key, value):
    """Stores a hyper-parameter under PyTorch's name: betas split, booleans as 0/1, numbers as float64."""
    if key == "betas":
        attrs["beta1"], attrs["beta2"] = float(value[0]), float(value[1])
    elif isinstance(value, bool):
        attrs[key] = int(value)
    else:
        attrs[key] = float(value)


def final_state(opt, w, names):
    state = opt.state[w]
    rows = [state[name].detach().numpy().astype(np.float64) for name in names]
    return np.stack(rows) if rows else np.zeros((0, len(W0)), dtype=np.float64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output file (default: {DEFAULT_OUT})")
    args = parser.parse_args()

    # numpy's float32 sqrt is correctly rounded: check it against float64 sqrt rounded to float32
    # (correct for float32 inputs, as 53 >= 2*24 + 2).
    probe = np.random.default_rng(7).random(100_000, dtype=np.float32) * 10
    assert np.array_equal(np.sqrt(probe), np.sqrt(probe.astype(np.float64)).astype(np.float32))

    capability = torch.backends.cpu.get_cpu_capability()
    assert capability in ("AVX2", "AVX512"), f"CPU capability {capability}: PyTorch would not fuse multiply-adds"

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with h5py.File(args.out, "w", track_order=False) as out:
        out.attrs["generator"] = "tools/make-optimizer-fixtures.py"
        out.attrs["torch_version"] = str(torch.__version__)
        out.attrs["h5py_version"] = h5py.__version__
        out.attrs["numpy_version"] = np.__version__
        out.attrs["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        out.attrs["steps"] = STEPS
        out.attrs["parameters"] = len(W0)
        out.attrs["gradient"] = "a * (w - c) in float32 (f(w) = 1/2 sum a_i (w_i - c_i)^2)"
        names = {}
        for _, name, cls, _, _, _ in CASES:
            names.setdefault(cls, name)
        for cls, name in names.items():
            d = out.create_group(f"defaults/{name}")
            d.attrs["torch_class"] = f"torch.optim.{cls.__name__}"
            signature = inspect.signature(cls.__init__).parameters
            for key in ["lr"] + RECORDED[cls]:
                record(d.attrs, key, signature[key].default)
        for case, name, cls, lr, hyper, state_names in CASES:
            lr = f32(lr)
            plain, opt, _ = run(cls, lr, hyper, exact_sqrt=False)
            exact, opt_exact, sqrt_calls = run(cls, lr, hyper, exact_sqrt=True)
            (w,) = opt.param_groups[0]["params"]
            (w_exact,) = opt_exact.param_groups[0]["params"]
            group = opt.param_groups[0]
            assert group["foreach"] is False and not group.get("fused")
            assert set(state_names) <= set(opt.state[w]), (case, sorted(opt.state[w]))
            if case.endswith("amsgrad"):  # the running maximum must matter somewhere
                s = opt.state[w]
                assert (s["max_exp_avg_sq"] > s["exp_avg_sq"]).any(), case

            g = out.create_group(f"cases/{case}")
            g.attrs["optimizer"] = name
            g.attrs["torch_class"] = f"torch.optim.{cls.__name__}"
            g.attrs["lr"] = lr
            g.attrs["steps"] = STEPS
            g.attrs["uses_sqrt"] = int(sqrt_calls > 0)
            g.attrs["state_names"] = ",".join(state_names)
            for key in RECORDED[cls]:
                record(g.attrs, key, group[key])
            for key, values in (("w0", W0), ("a", A), ("c", C)):
                g.create_dataset(key, data=values, dtype=np.float32, track_times=False)
            g.create_dataset("trajectory", data=plain, dtype=np.float64, track_times=False)
            g.create_dataset("trajectory_exact_sqrt", data=exact, dtype=np.float64, track_times=False)
            g.create_dataset("final_state", data=final_state(opt, w, state_names), dtype=np.float64,
                             track_times=False)
            g.create_dataset("final_state_exact_sqrt", data=final_state(opt_exact, w_exact, state_names),
                             dtype=np.float64, track_times=False)
            differing = int((plain != exact).sum())
            print(f"{case:40s} {name:8s} sqrt calls {sqrt_calls:2d}  "
                  f"entries changed by the exact sqrt: {differing}/{plain.size}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
