#!/usr/bin/env python3
"""PyTorch yardstick for lzn-bench.

Builds lzn-pipe's preset-s networks (docs/MODELS.md: encoder enc-s, decoder unet-s, with the same
parameter names and counts as Sources/NN) and times, on the CPU with a fixed thread count:

  lzn_train_step          one LZN generation step as `lzn-bench` times it: enc-s -> 20-step Euler
                          latent flow over the batch -> unet-s rectified-flow loss -> backward ->
                          global-norm clip 1 -> Adam (lr 1e-4)
  decoder_forward_nograd  one unet-s forward without a graph
  latent_flow_fwd_bwd     a forward Euler latent flow plus the backward of sum(latent^2), as the
                          paper's code computes it ("paper": explicit B x N x D differences, one
                          activation checkpoint per step) and with two GEMMs per step ("gemm")

Each line printed is one JSON object; times are medians of timed runs after warm-up runs.

    pip install -r benchmarks/requirements.txt
    python3 benchmarks/torch_reference.py --threads 2 --batch 64
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

CHANNELS = (16, 32, 64)  # preset s, encoder and decoder
HIDDEN = 128             # conditioning MLP and encoder-head width
HEAD_CHANNELS = 4        # encoder heads' 1x1 convolution
TIME_DIM = 32            # sinusoidal time embedding
ROOT_HALF = 1 / math.sqrt(2)


def group_norm(channels):
    return nn.GroupNorm(min(8, channels // 4), channels, eps=1e-5)


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class ResBlock(nn.Module):
    # Attribute order is the registration order, which lzn-pipe's checkpoints follow.
    def __init__(self, cin, cout, cond_dim=None):
        super().__init__()
        self.n1 = group_norm(cin)
        self.c1 = conv3x3(cin, cout)
        self.n2 = group_norm(cout)
        self.c2 = conv3x3(cout, cout)
        self.cond = nn.Linear(cond_dim, cout) if cond_dim else None
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, cond=None):
        h = self.c1(F.silu(self.n1(x)))
        if self.cond is not None:
            h = h + self.cond(F.silu(cond)).unsqueeze(-1).unsqueeze(-1)
        h = self.c2(F.silu(self.n2(h)))
        shortcut = x if self.skip is None else self.skip(x)
        return (shortcut + h) * ROOT_HALF


class Attn(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.n = group_norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        b, c, height, width = x.shape
        q, k, v = self.qkv(self.n(x)).flatten(2).transpose(1, 2).chunk(3, dim=2)  # each [B, HW, C]
        attended = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(c), dim=2) @ v   # [B, HW, C]
        return (x + self.proj(attended.transpose(1, 2).reshape(b, c, height, width))) * ROOT_HALF


def time_embedding(tau):
    half = TIME_DIM // 2
    frequencies = torch.exp(-math.log(10000.0) / (half - 1) * torch.arange(half, dtype=torch.float32))
    angles = (999 * tau).unsqueeze(1) * frequencies
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class UNetS(nn.Module):
    def __init__(self, image_channels, latent_dim, num_classes=0):
        super().__init__()
        c0, c1, c2 = CHANNELS
        self.cond = nn.Sequential(nn.Linear(latent_dim + num_classes + TIME_DIM, HIDDEN), nn.SiLU(), nn.Linear(HIDDEN, HIDDEN))
        self.cin = conv3x3(image_channels, c0)
        self.d0 = ResBlock(c0, c0, HIDDEN)
        self.down0 = conv3x3(c0, c0, stride=2)
        self.d1 = ResBlock(c0, c1, HIDDEN)
        self.down1 = conv3x3(c1, c1, stride=2)
        self.d2 = ResBlock(c1, c2, HIDDEN)
        self.m1 = ResBlock(c2, c2, HIDDEN)
        self.att = Attn(c2)
        self.m2 = ResBlock(c2, c2, HIDDEN)
        self.u2 = ResBlock(2 * c2, c2, HIDDEN)
        self.up2 = conv3x3(c2, c2)
        self.u1 = ResBlock(c2 + c1, c1, HIDDEN)
        self.up1 = conv3x3(c1, c1)
        self.u0 = ResBlock(c1 + c0, c0, HIDDEN)
        self.nout = group_norm(c0)
        self.cout = conv3x3(c0, image_channels)
        nn.init.zeros_(self.cout.weight)  # an untrained decoder predicts velocity 0
        nn.init.zeros_(self.cout.bias)

    def forward(self, xt, tau, latent, labels_one_hot=None):
        parts = [latent] + ([labels_one_hot] if labels_one_hot is not None else []) + [time_embedding(tau)]
        c = self.cond(torch.cat(parts, dim=1))
        s0 = self.d0(self.cin(xt), c)
        s1 = self.d1(self.down0(s0), c)
        s2 = self.d2(self.down1(s1), c)
        m = self.m2(self.att(self.m1(s2, c)), c)
        h = self.up2(F.interpolate(self.u2(torch.cat([m, s2], dim=1), c), scale_factor=2.0, mode="nearest"))
        h = self.up1(F.interpolate(self.u1(torch.cat([h, s1], dim=1), c), scale_factor=2.0, mode="nearest"))
        h = self.u0(torch.cat([h, s0], dim=1), c)
        return self.cout(F.silu(self.nout(h)))


class EncS(nn.Module):
    def __init__(self, image_channels, image_size, latent_dim):
        super().__init__()
        c0, c1, c2 = CHANNELS
        self.cin = conv3x3(image_channels, c0)
        self.b0 = ResBlock(c0, c0)
        self.down0 = conv3x3(c0, c0, stride=2)
        self.b1 = ResBlock(c0, c1)
        self.down1 = conv3x3(c1, c1, stride=2)
        self.b2 = ResBlock(c1, c2)
        sizes = [image_size, (image_size + 1) // 2, (image_size + 3) // 4]
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Conv2d(c, HEAD_CHANNELS, 1), nn.SiLU(), nn.Flatten(),
                          nn.Linear(HEAD_CHANNELS * size * size, HIDDEN), nn.SiLU(), nn.Linear(HIDDEN, latent_dim))
            for c, size in zip(CHANNELS, sizes))

    def forward(self, x):
        h0 = self.b0(self.cin(x))
        h1 = self.b1(self.down0(h0))
        h2 = self.b2(self.down1(h1))
        return self.heads[0](h0) + self.heads[1](h1) + self.heads[2](h2)


def velocity_explicit(anchors, x, t):
    """The paper's evaluation: implied noises n_bj = (x_b - (1-t) a_j)/t as a [B, N, D] tensor,
    max-shifted Gaussian weights, v_b = sum_j p_bj (n_bj - a_j) / sum_j p_bj."""
    noise = (x.unsqueeze(1) - (1 - t) * anchors.unsqueeze(0)) / t
    log_p = -0.5 * noise.square().sum(dim=2)
    p = (log_p - log_p.amax(dim=1, keepdim=True)).exp()
    return torch.einsum("bn,bnd->bd", p, noise - anchors.unsqueeze(0)) / p.sum(dim=1, keepdim=True)


def velocity_gemm(anchors, x, t):
    """The same field from squared distances |x|^2 - 2c x.a + c^2 |a|^2: two GEMMs, O(B N) memory."""
    c = 1 - t
    distances = (x.square().sum(1, keepdim=True) - 2 * c * x @ anchors.T + c * c * anchors.square().sum(1)).clamp_min(0)
    posterior = torch.softmax(distances / (-2 * t * t), dim=1)
    return (x - posterior @ anchors) / t


def euler_latents(anchors, prior, steps, velocity, eps=1e-4, checkpointed=False):
    """Forward Euler latent flow with the batch as its anchor set: from eps*z + (1-eps)*a to t = 1."""
    x = eps * prior + (1 - eps) * anchors
    h = (1 - eps) / steps
    for k in range(steps):
        t = eps + k * h
        v = checkpoint(velocity, anchors, x, t, use_reentrant=False) if checkpointed else velocity(anchors, x, t)
        x = x + h * v
    return x


def median_seconds(run, repeats, warmup):
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def parameter_count(module):
    return sum(p.numel() for p in module.parameters())


def main():
    parser = argparse.ArgumentParser(description="PyTorch timings of lzn-pipe's preset-s networks and latent flow (JSON lines).")
    parser.add_argument("--batch", type=int, default=64, help="batch of the training step and the decoder forward")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--iters", type=int, default=10, help="timed runs of the step and the decoder forward (median printed)")
    parser.add_argument("--hw", type=int, default=28, help="image height = width (a multiple of 4)")
    parser.add_argument("--in-ch", type=int, default=1, help="image channels")
    parser.add_argument("--latent-dim", type=int, default=32, help="latent dimension D of the training step")
    parser.add_argument("--ode-steps", type=int, default=20, help="Euler steps of every latent flow")
    parser.add_argument("--flow-sizes", default="256x32,1024x64", help="comma-separated BxD of the latent-flow timings ('' for none)")
    parser.add_argument("--naive-max-b", type=int, default=1024, help="largest B timed in the paper's B x N x D form")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs before each measurement")
    args = parser.parse_args()
    if args.hw % 4 != 0 or min(args.batch, args.threads, args.iters, args.hw, args.in_ch, args.latent_dim, args.ode_steps) < 1:
        parser.error("sizes, counts and threads must be positive, and --hw a multiple of 4")

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    encoder = EncS(args.in_ch, args.hw, args.latent_dim)
    decoder = UNetS(args.in_ch, args.latent_dim)
    parameters = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(parameters, lr=1e-4)
    images = torch.rand(args.batch, args.in_ch, args.hw, args.hw) * 2 - 1
    common = {"batch": args.batch, "threads": args.threads, "torch": torch.__version__}

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        anchors = encoder(images)
        latents = euler_latents(anchors, torch.randn_like(anchors), args.ode_steps, velocity_explicit)
        tau = 1e-3 + (1 - 1e-3) * torch.rand(args.batch)
        noise = torch.randn_like(images)
        tau_image = tau.view(-1, 1, 1, 1)
        xt = tau_image * images + (1 - tau_image) * noise
        loss = F.mse_loss(decoder(xt, tau, latents), images - noise)
        loss.backward()
        nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()

    def decoder_forward():
        with torch.no_grad():
            decoder(images, torch.rand(args.batch), torch.randn(args.batch, args.latent_dim))

    print(json.dumps({"what": "lzn_train_step", **common, "seconds": median_seconds(train_step, args.iters, args.warmup),
                      "encoder_params": parameter_count(encoder), "decoder_params": parameter_count(decoder)}), flush=True)
    print(json.dumps({"what": "decoder_forward_nograd", **common,
                      "seconds": median_seconds(decoder_forward, args.iters, args.warmup)}), flush=True)

    for size in filter(None, args.flow_sizes.split(",")):
        b, d = (int(n) for n in size.lower().split("x"))
        anchors = torch.randn(b, d, requires_grad=True)
        prior = torch.randn(b, d)
        forms = ([("paper", velocity_explicit, True, 3)] if b <= args.naive_max_b else []) + [("gemm", velocity_gemm, False, 5)]
        for form, velocity, checkpointed, repeats in forms:
            def flow():
                anchors.grad = None
                euler_latents(anchors, prior, args.ode_steps, velocity, checkpointed=checkpointed).square().sum().backward()
            print(json.dumps({"what": "latent_flow_fwd_bwd", "form": form, "B": b, "D": d, "steps": args.ode_steps,
                              "threads": args.threads, "torch": torch.__version__,
                              "seconds": median_seconds(flow, repeats, args.warmup)}), flush=True)


if __name__ == "__main__":
    main()
