#!/usr/bin/env python3
"""Recomputes the reference outputs in Tests/Fixtures from the inputs stored there.

lzn/: runs the latent flows of the paper's implementation (a checkout of
https://github.com/microsoft/latent-zoning-networks, passed as --lzn-repo) in float64 with PyTorch.
fid/: computes the Frechet distance of each feature pair in float64 with NumPy and SciPy.

Without --write it only compares: it prints the largest difference per case and array and exits 1
if any exceeds --tolerance (relative to the array's largest magnitude). With --write it overwrites
the output arrays of lzn/ and the "fid" values of fid/manifest.json. The inputs (anchors, prior,
upstream, start, weights, feature matrices) are data: this script never changes them.

    pip install torch numpy scipy
    git clone https://github.com/microsoft/latent-zoning-networks /tmp/lzn-official
    python3 Tests/Fixtures/regenerate.py --lzn-repo /tmp/lzn-official
"""
import argparse
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


class _GaussianPriorOnly:
    """The one thing the official flows ask of their trainer: `trainer.prior`."""

    def __init__(self, prior):
        self.prior = prior


def latent_flow_outputs(case, entry, directory, flows):
    """The output arrays of one lzn/ case, computed from its stored inputs."""
    import torch

    params = entry["params"]
    load = lambda key: torch.from_numpy(np.load(os.path.join(directory, entry[key]["file"])))
    solver = case.split("_")[0]
    flow = flows[solver]
    if "_fwd" in case:
        anchors = load("anchors").requires_grad_(True)
        latent = flow(full_encoded=anchors, encoded=anchors, prior_data=load("prior"), num_steps=params["steps"])
        (latent * load("upstream")).sum().backward()
        return {"latent": latent.detach(), "grad_anchors": anchors.grad}
    anchors = load("anchors").requires_grad_(True)
    start = load("start").requires_grad_(True)
    weights = load("weights") if "weights" in entry else None
    final, pdfs = flow(reverse=True, full_encoded=anchors, initial_point=start, num_steps=params["steps"], weights=weights)
    probs = torch.stack([p / p.sum(dim=1, keepdim=True) for p in pdfs])
    first = math.floor(len(pdfs) * params["cutoff"])
    own = torch.diagonal(probs[first:], dim1=1, dim2=2)  # [steps kept, B]: probability of the own anchor
    loss = -torch.log(own.max(dim=0).values).mean()
    loss.backward()
    return {"final": final.detach(), "probs": probs.detach(), "loss_ce": loss.detach(),
            "grad_anchors": anchors.grad, "grad_start": start.grad}


def official_flows(repo):
    import torch

    torch.set_default_dtype(torch.float64)  # the flows create their time tensors in the default dtype
    sys.path.insert(0, repo)
    from lzn.latent_flow.dpm_solver_latent_flow import DPMSolverLatentFlow
    from lzn.latent_flow.euler_latent_flow import EulerLatentFlow
    from lzn.prior.gaussian import Gaussian

    trainer = _GaussianPriorOnly(Gaussian(latent_dim=1))  # the pdf does not depend on latent_dim
    return {"euler": EulerLatentFlow(trainer=trainer, eps=1e-4, use_gradient_checkpoint=False),
            "dpm2": DPMSolverLatentFlow(trainer=trainer, order=2),
            "dpm3": DPMSolverLatentFlow(trainer=trainer, order=3)}


def frechet_distance(a, b):
    from scipy import linalg

    a, b = a.astype(np.float64), b.astype(np.float64)
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)  # N - 1 in the denominator
    root = linalg.sqrtm(cov_a @ cov_b).real
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lzn-repo", help="checkout of microsoft/latent-zoning-networks (needed for lzn/)")
    parser.add_argument("--only", choices=["lzn", "fid"], help="one folder only")
    parser.add_argument("--write", action="store_true", help="overwrite the stored outputs instead of comparing")
    parser.add_argument("--tolerance", type=float, default=1e-9, help="largest difference accepted, relative to the array's largest magnitude")
    args = parser.parse_args()
    worst = 0.0

    def compare(label, computed, stored):
        nonlocal worst
        error = float(np.max(np.abs(computed - stored))) / max(float(np.max(np.abs(stored))), 1e-300)
        worst = max(worst, error)
        print(f"{label}: max |difference| / max |stored| = {error:.3g}")

    if args.only != "fid":
        if not args.lzn_repo:
            parser.error("--lzn-repo is needed for lzn/ (or pass --only fid)")
        directory = os.path.join(HERE, "lzn")
        with open(os.path.join(directory, "manifest.json")) as f:
            manifest = json.load(f)
        flows = official_flows(args.lzn_repo)
        for case in sorted(manifest):
            for key, value in latent_flow_outputs(case, manifest[case], directory, flows).items():
                path = os.path.join(directory, manifest[case][key]["file"])
                if args.write:
                    np.save(path, value.numpy())
                else:
                    compare(f"lzn/{case}.{key}", value.numpy(), np.load(path))

    if args.only != "lzn":
        directory = os.path.join(HERE, "fid")
        path = os.path.join(directory, "manifest.json")
        with open(path) as f:
            manifest = json.load(f)
        for case in sorted(manifest):
            entry = manifest[case]
            fid = frechet_distance(np.load(os.path.join(directory, entry["a"])), np.load(os.path.join(directory, entry["b"])))
            if args.write:
                entry["fid"] = fid
            else:
                # An FID of two identical sets is rounding noise around 0: compare it in absolute terms.
                error = abs(fid - entry["fid"]) / max(abs(entry["fid"]), 1.0)
                worst = max(worst, error)
                print(f"fid/{case}: {fid!r} (stored {entry['fid']!r}), relative difference {error:.3g}")
        if args.write:
            with open(path, "w") as f:
                json.dump(manifest, f, indent=1)

    if not args.write and worst > args.tolerance:
        print(f"largest difference {worst:.3g} exceeds --tolerance {args.tolerance:g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
