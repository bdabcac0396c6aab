#!/usr/bin/env python3
"""Reference values for the training objectives (read by Tests/TrainingTests/ObjectiveValueTests.swift).

NT-Xent (SimCLR, Chen et al. 2020) written the usual PyTorch way, independently of lzn-pipe's
`ntXentLoss`: L2-normalise the 2B projections, cosine-similarity matrix / temperature, each row's
self-similarity masked to -inf, cross-entropy toward the other view (row b pairs with row b + B);
the gradient with respect to the projections by autograd. Everything in float64. The inputs are
fixed by a seeded generator and stored with the outputs, so the Swift test needs only the JSON.

    python3 Tests/Fixtures/objectives/regenerate.py            # compare with nt_xent.json; exit 1 on a difference
    python3 Tests/Fixtures/objectives/regenerate.py --write    # rewrite nt_xent.json
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "nt_xent.json")


def nt_xent(projections, temperature):
    rows = projections.shape[0]
    half = rows // 2
    unit = F.normalize(projections, dim=1)
    logits = unit @ unit.T / temperature
    logits = logits.masked_fill(torch.eye(rows, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(half, rows), torch.arange(0, half)])
    loss = F.cross_entropy(logits, targets)
    accuracy = (logits.argmax(dim=1) == targets).double().mean()
    return loss, accuracy


def case(name, batch, dim, temperature, seed, view_noise):
    generator = torch.Generator().manual_seed(seed)
    # view 1 = view 0 + noise: view_noise small makes the pairs easy, large makes them random.
    view0 = torch.randn(batch, dim, generator=generator, dtype=torch.float64)
    view1 = view0 + view_noise * torch.randn(batch, dim, generator=generator, dtype=torch.float64)
    projections = torch.cat([view0, view1]).float().double()  # exactly representable in float32
    projections.requires_grad_(True)
    loss, accuracy = nt_xent(projections, temperature)
    loss.backward()
    return {
        "name": name, "temperature": temperature, "rows": 2 * batch, "dim": dim,
        "projections": projections.detach().flatten().tolist(),
        "loss": loss.item(), "grad": projections.grad.flatten().tolist(), "positive_accuracy": accuracy.item(),
    }


def main():
    cases = [
        case("easy_pairs", batch=3, dim=4, temperature=0.5, seed=1, view_noise=0.3),
        case("random_pairs", batch=4, dim=5, temperature=0.2, seed=2, view_noise=3.0),
        case("two_pairs_t1", batch=2, dim=3, temperature=1.0, seed=3, view_noise=1.0),
    ]
    document = {"source": "Tests/Fixtures/objectives/regenerate.py", "torch": torch.__version__, "cases": cases}
    if "--write" in sys.argv:
        with open(OUT, "w") as f:
            json.dump(document, f, indent=1)
            f.write("\n")
        print(f"wrote {OUT}")
        return 0
    with open(OUT) as f:
        stored = json.load(f)
    worst = 0.0
    for new, old in zip(cases, stored["cases"]):
        for key in ("projections", "grad"):
            worst = max(worst, max(abs(a - b) for a, b in zip(new[key], old[key])))
        worst = max(worst, abs(new["loss"] - old["loss"]), abs(new["positive_accuracy"] - old["positive_accuracy"]))
    same = len(cases) == len(stored["cases"]) and worst < 1e-12
    print(f"{'same' if same else 'DIFFERENT'}: largest difference {worst:.3g}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
