#!/usr/bin/env python3
"""Record PyTorch's learning-rate schedules as golden values for H5Train's tests.

Requires:  pip install torch h5py numpy        (run by hand only; the Swift tests
                                                 read the file and need neither)
Usage:     python3 tools/make-schedule-fixtures.py [--out PATH]
           (default PATH: Tests/NeuralNetTests/Fixtures/schedules.h5)

What is recorded
----------------
Every case drives one `torch.optim.lr_scheduler` class on a dummy one-element
parameter with `torch.optim.SGD` (momentum 0.9, so that the schedulers that cycle
momentum have a momentum to cycle), stepped once per optimizer step:

    for k in 0..N:  record lr (and momentum) of param_groups[0]
                    optimizer.step(); scheduler.step()

so value k is the rate PyTorch's optimizer uses on its (k+1)-th `optimizer.step()`,
i.e. the value after k `scheduler.step()` calls, which is what H5Train's
`learningRate(atStep: k)` must return.

Layout of the file (all numbers float64, all datasets one-dimensional):
  /lr/<case>        the learning rate at steps 0..N; the attributes of this
                    dataset are the scheduler's constructor arguments under
                    PyTorch's names (base_lr = the optimizer's lr, bools as 0/1
                    int64, lists as int64/float64 arrays, modes as strings), plus
                      torch_class  the class name
                      boundaries   steps where the formula changes regime
                                   (decays, milestones, restarts, cycle peaks,
                                   phase ends), all inside 0..N
                      end_step     (only for schedules with an end) the last step
                                   of the schedule; see "Past the end" below
  /momentum/<case>  the SGD momentum at steps 0..N, for the cases that cycle it
  /state/<case>     ReduceLROnPlateau only: shape (n, 3), after each
                    `scheduler.step(metric)` the scheduler's (best,
                    num_bad_epochs, cooldown_counter)
  root attributes   torch_version, h5py_version, generator (this script),
                    description

ReduceLROnPlateau cases are not per step but per epoch: /lr/<case>[i] is the
rate after the (i+1)-th `scheduler.step(metrics[i])`; the metric sequence is
the `metrics` attribute and the initial rate is `base_lr`.

Past the end
------------
H5Train holds the final value of every schedule that has an end (PolynomialLR,
LinearLR, CosineAnnealingLR, OneCycleLR, warm-up + cosine) for all later steps,
so that extending a run never reinterprets steps already trained. PyTorch does
not: CosineAnnealingLR keeps oscillating past T_max (back up towards base_lr)
and OneCycleLR raises after total_steps. The file records only what PyTorch
does, a few steps past `end_step` (OneCycleLR: one step, the most PyTorch
allows); the hold rule is checked by the Swift tests alone, which compare
against PyTorch for steps <= end_step and against the value at end_step after.

CosineAnnealingLR is recorded in PyTorch's closed form (`_get_closed_form_lr`,
eta_min + (base - eta_min)(1 + cos(pi k / T_max))/2), which H5Train implements;
the recursive form PyTorch uses when stepped normally agrees with it up to T_max
to rounding (the script checks 1e-12 relative) but drifts from it after.
The warm-up case (SequentialLR of LinearLR and CosineAnnealingLR) is recorded
as PyTorch steps it, recursively.

Output is deterministic: no timestamps (track_times=False, libver earliest),
fixed metric sequences, no randomness; re-running gives the same bytes.
"""
import argparse
import math
import os
import warnings

import h5py
import numpy as np
import torch
from torch.optim import SGD
from torch.optim import lr_scheduler as S

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(
    HERE, "..", "Tests", "NeuralNetTests", "Fixtures", "schedules.h5"))
GENERATOR = "tools/make-schedule-fixtures.py"


def new_optimizer(lr):
    param = torch.nn.Parameter(torch.zeros(1))
    return SGD([param], lr=lr, momentum=0.9)


def run(make, lr, steps, momentum=False, closed_form=False):
    """lr (and momentum) at steps 0..steps of `make(optimizer)` stepped once per step."""
    opt = new_optimizer(lr)
    sched = make(opt)
    lrs, moms = [], []
    for k in range(steps + 1):
        group = opt.param_groups[0]
        lrs.append(sched._get_closed_form_lr()[0] if closed_form else group["lr"])
        moms.append(group["momentum"])
        if k < steps:
            opt.step()
            sched.step()
    return np.array(lrs, dtype=np.float64), (np.array(moms, dtype=np.float64) if momentum else None)


class Fixture:
    def __init__(self):
        self.lr = {}
        self.momentum = {}
        self.state = {}
        self.attrs = {}

    def add(self, name, torch_class, params, values, boundaries, end_step=None, momentum=None):
        n = len(values) - 1
        assert all(0 <= b <= n for b in boundaries), (name, boundaries, n)
        attrs = {"torch_class": torch_class, "boundaries": np.array(sorted(set(boundaries)), dtype=np.int64)}
        if end_step is not None:
            assert end_step < n, (name, "record a few steps past the end")
            attrs["end_step"] = np.int64(end_step)
        for key, value in params.items():
            if isinstance(value, bool):
                attrs[key] = np.int64(value)
            elif isinstance(value, int):
                attrs[key] = np.int64(value)
            elif isinstance(value, float):
                attrs[key] = np.float64(value)
            elif isinstance(value, str):
                attrs[key] = value
            elif isinstance(value, list) and all(isinstance(v, int) for v in value):
                attrs[key] = np.array(value, dtype=np.int64)
            elif isinstance(value, list):
                attrs[key] = np.array(value, dtype=np.float64)
            else:
                raise TypeError(f"{name}.{key}: {value!r}")
        self.lr[name] = values
        self.attrs[name] = attrs
        if momentum is not None:
            self.momentum[name] = momentum

    def write(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with h5py.File(tmp, "w", libver="earliest", track_order=False) as f:
            f.attrs["torch_version"] = str(torch.__version__)
            f.attrs["h5py_version"] = str(h5py.__version__)
            f.attrs["generator"] = GENERATOR
            f.attrs["description"] = (
                "Golden learning rates from torch.optim.lr_scheduler, one optimizer step "
                "per scheduler step; see the generator's docstring for the layout.")
            for group, table in (("lr", self.lr), ("momentum", self.momentum), ("state", self.state)):
                for name in sorted(table):
                    ds = f.create_dataset(f"{group}/{name}", data=table[name], dtype=np.float64,
                                          track_times=False)
                    if group == "lr":
                        for key in sorted(self.attrs[name]):
                            ds.attrs[key] = self.attrs[name][key]
        os.replace(tmp, path)


def decays(fx):
    base = 0.1
    p = {"base_lr": base, "step_size": 7, "gamma": 0.5}
    lrs, _ = run(lambda o: S.StepLR(o, step_size=7, gamma=0.5), base, 30)
    fx.add("step", "StepLR", p, lrs, [0, 7, 14, 21, 28, 30])

    # A repeated milestone decays twice (PyTorch keeps milestones in a Counter).
    base = 0.2
    milestones = [5, 12, 12, 20]
    p = {"base_lr": base, "milestones": milestones, "gamma": 0.3}
    lrs, _ = run(lambda o: S.MultiStepLR(o, milestones=milestones, gamma=0.3), base, 26)
    fx.add("multistep", "MultiStepLR", p, lrs, [0, 4, 5, 11, 12, 19, 20, 26])

    base = 0.1
    p = {"base_lr": base, "gamma": 0.93}
    lrs, _ = run(lambda o: S.ExponentialLR(o, gamma=0.93), base, 40)
    fx.add("exponential", "ExponentialLR", p, lrs, [0, 1, 40])

    p = {"base_lr": base, "total_iters": 20, "power": 2.0}
    lrs, _ = run(lambda o: S.PolynomialLR(o, total_iters=20, power=2.0), base, 24)
    fx.add("polynomial", "PolynomialLR", p, lrs, [0, 19, 20], end_step=20)

    p = {"base_lr": base, "start_factor": 0.25, "end_factor": 0.75, "total_iters": 12}
    lrs, _ = run(lambda o: S.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=12), base, 16)
    fx.add("linear", "LinearLR", p, lrs, [0, 1, 11, 12], end_step=12)


def cosines(fx):
    base, t_max, eta_min = 0.1, 25, 0.001
    p = {"base_lr": base, "T_max": t_max, "eta_min": eta_min}
    make = lambda o: S.CosineAnnealingLR(o, T_max=t_max, eta_min=eta_min)
    closed, _ = run(make, base, t_max + 5, closed_form=True)
    recursive, _ = run(make, base, t_max + 5)
    rel = np.max(np.abs(closed[:t_max + 1] - recursive[:t_max + 1]) / closed[:t_max + 1])
    assert rel < 1e-12, f"CosineAnnealingLR recursive vs closed form up to T_max: {rel}"
    fx.add("cosine", "CosineAnnealingLR", p, closed, [0, 12, 13, t_max - 1, t_max], end_step=t_max)

    p = {"base_lr": base, "T_0": 10, "T_mult": 1, "eta_min": 0.002}
    lrs, _ = run(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=1, eta_min=0.002), base, 35)
    fx.add("cosine_restarts", "CosineAnnealingWarmRestarts", p, lrs, [0, 9, 10, 19, 20, 29, 30, 35])

    p = {"base_lr": base, "T_0": 5, "T_mult": 2, "eta_min": 0.0}
    lrs, _ = run(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.0), base, 80)
    fx.add("cosine_restarts_mult2", "CosineAnnealingWarmRestarts", p, lrs, [0, 4, 5, 14, 15, 34, 35, 74, 75, 80])


def cyclics(fx):
    # triangular, asymmetric (5 up, 3 down), momentum cycled inversely between 0.8 and 0.9
    p = {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, "step_size_down": 3, "mode": "triangular",
         "gamma": 1.0, "cycle_momentum": True, "base_momentum": 0.8, "max_momentum": 0.9}
    make = lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5, step_size_down=3,
                                mode="triangular", cycle_momentum=True, base_momentum=0.8, max_momentum=0.9)
    lrs, moms = run(make, 0.01, 40, momentum=True)
    fx.add("cyclic_triangular", "CyclicLR", p, lrs, [0, 5, 8, 13, 16, 37, 40], momentum=moms)

    # triangular2, momentum cycled too (its amplitude halves with the rate's)
    p = {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "step_size_down": 4, "mode": "triangular2",
         "gamma": 1.0, "cycle_momentum": True, "base_momentum": 0.8, "max_momentum": 0.9}
    make = lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4, mode="triangular2")
    lrs, moms = run(make, 0.01, 40, momentum=True)
    fx.add("cyclic_triangular2", "CyclicLR", p, lrs, [0, 4, 8, 12, 16, 20, 24, 36, 40], momentum=moms)

    # exp_range, momentum left to the optimizer
    p = {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 6, "step_size_down": 6, "mode": "exp_range",
         "gamma": 0.97, "cycle_momentum": False, "base_momentum": 0.8, "max_momentum": 0.9}
    make = lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6, mode="exp_range", gamma=0.97,
                                cycle_momentum=False)
    lrs, _ = run(make, 0.01, 40)
    fx.add("cyclic_exp_range", "CyclicLR", p, lrs, [0, 6, 12, 18, 24, 36, 40])


def one_cycles(fx):
    cases = [
        # name, total_steps, pct_start, anneal, div, final_div, three_phase
        ("onecycle_cos", 100, 0.3, "cos", 25.0, 1e4, False),
        ("onecycle_linear", 62, 0.25, "linear", 10.0, 100.0, False),     # phase 1 ends at 14.5
        ("onecycle_three_phase", 75, 0.3, "cos", 25.0, 1e4, True),       # at 21.5 and 43
    ]
    for name, total, pct, anneal, div, final_div, three in cases:
        p = {"max_lr": 0.1, "total_steps": total, "pct_start": pct, "anneal_strategy": anneal,
             "div_factor": div, "final_div_factor": final_div, "three_phase": three,
             "cycle_momentum": True, "base_momentum": 0.85, "max_momentum": 0.95}
        make = lambda o, total=total, pct=pct, anneal=anneal, div=div, final_div=final_div, three=three: \
            S.OneCycleLR(o, max_lr=0.1, total_steps=total, pct_start=pct, anneal_strategy=anneal,
                         div_factor=div, final_div_factor=final_div, three_phase=three)
        # PyTorch allows total_steps scheduler.step() calls (the last gives an extrapolated value
        # nobody should use) and raises after; record 0..total_steps, the end is total_steps - 1.
        lrs, moms = run(make, 0.1, total, momentum=True)
        ends = [pct * total - 1, 2 * pct * total - 2, total - 1] if three else [pct * total - 1, total - 1]
        boundaries = [0, total - 1, total] + [b for e in ends for b in (math.floor(e), math.floor(e) + 1)]
        fx.add(name, "OneCycleLR", p, lrs, boundaries, end_step=total - 1, momentum=moms)


def warmup(fx):
    # H5Train's WarmupSchedule(warmupSteps: 5, startFactor: 0.1, then: CosineAnnealingSchedule(...)).
    base, warm, t_max, eta_min = 0.1, 5, 20, 0.001
    p = {"base_lr": base, "warmup_steps": warm, "start_factor": 0.1, "T_max": t_max, "eta_min": eta_min}

    def make(o):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first = S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=warm)
            second = S.CosineAnnealingLR(o, T_max=t_max, eta_min=eta_min)
            return S.SequentialLR(o, [first, second], milestones=[warm])

    lrs, _ = run(make, base, warm + t_max + 4)
    fx.add("warmup_cosine", "SequentialLR(LinearLR, CosineAnnealingLR)", p, lrs,
           [0, warm - 1, warm, warm + 1, warm + t_max], end_step=warm + t_max)


def plateau_case(fx, name, metrics, base, **kwargs):
    opt = new_optimizer(base)
    sched = S.ReduceLROnPlateau(opt, **kwargs)
    lrs, state = [], []
    for m in metrics:
        opt.step()
        sched.step(m)
        lrs.append(opt.param_groups[0]["lr"])
        state.append([sched.best, sched.num_bad_epochs, sched.cooldown_counter])
    defaults = {"mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4, "threshold_mode": "rel",
                "cooldown": 0, "min_lr": 0.0, "eps": 1e-8}
    defaults.update(kwargs)
    p = {"base_lr": base, "metrics": [float(m) for m in metrics], **defaults}
    reductions = [i for i in range(len(lrs)) if lrs[i] != (lrs[i - 1] if i else base)]
    fx.add(name, "ReduceLROnPlateau", p, np.array(lrs, dtype=np.float64), [0, len(lrs) - 1] + reductions)
    fx.state[name] = np.array(state, dtype=np.float64)
    return reductions


def plateaus(fx):
    # Defaults (min, rel 1e-4, patience 10). Improvements smaller than 1e-4 relative count as bad.
    metrics = [1.0, 0.8, 0.7, 0.65, 0.64]
    metrics += [0.64 * (1 - 0.5e-4)] * 11   # 11 epochs of a gain below the threshold
    metrics += [0.5, 0.45, 0.449]
    metrics += [0.46] * 12                                          # 12 worse epochs
    metrics += [0.3, 0.31, 0.32]
    metrics = [round(m, 12) for m in metrics]
    reductions = plateau_case(fx, "plateau", metrics, 0.1)
    assert len(reductions) == 2, reductions

    # max mode, absolute threshold, patience 2, cooldown 2, a floor, and the eps rule: the fourth
    # halving would go below min_lr, and clamping to min_lr changes the rate by less than eps.
    metrics = [0.50, 0.60, 0.65, 0.655, 0.66, 0.659, 0.70, 0.705, 0.70, 0.71, 0.70, 0.70, 0.70,
               0.75, 0.75, 0.755, 0.75, 0.75, 0.75, 0.75, 0.80, 0.80, 0.80, 0.80, 0.80, 0.80,
               0.80, 0.80, 0.80, 0.80]
    reductions = plateau_case(fx, "plateau_max_abs", metrics, 0.1, mode="max", factor=0.5, patience=2,
                              threshold=0.01, threshold_mode="abs", cooldown=2, min_lr=0.0125 - 1e-9,
                              eps=1e-8)
    assert len(reductions) == 3, reductions


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()
    torch.set_default_dtype(torch.float32)
    fx = Fixture()
    decays(fx)
    cosines(fx)
    cyclics(fx)
    one_cycles(fx)
    warmup(fx)
    plateaus(fx)
    fx.write(args.out)
    print(f"wrote {args.out}: {len(fx.lr)} cases, {os.path.getsize(args.out)} bytes, torch {torch.__version__}")


if __name__ == "__main__":
    main()
