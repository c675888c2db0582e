#!/usr/bin/env python3
"""PyTorch twin of bench/convnet.ts (same 6 layers, same shapes): median ms per training step (fwd + bwd + Adam).

Usage: /usr/bin/python3 bench/torch_convnet.py --threads 2 --batch 8 --size 128 --steps 5 --warmup 2
Prints one JSON line. Needs Debian's python3-torch (1.13, CPU).
"""
import argparse, json, statistics, time
import torch
import torch.nn as nn

LAYERS = [(3, 2, 3, 32, True), (3, 2, 32, 64, True), (3, 1, 64, 64, True),
          (3, 1, 64, 64, True), (3, 1, 64, 88, True), (1, 1, 88, 98, False)]


def build():
    mods = []
    for k, s, cin, cout, relu in LAYERS:
        # 'same' padding as tfjs computes it for these sizes (even input, k=3): tf pads (0 before, 1 after) for
        # stride 2; torch pads symmetrically. Cost is the same; values need not match.
        mods.append(nn.Conv2d(cin, cout, k, stride=s, padding=k // 2))
        if relu:
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = build()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(a.batch, 3, a.size, a.size)
    h = a.size // 4
    y = torch.rand(a.batch, 98, h, h)
    times = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        loss.item()
        dt = (time.perf_counter() - t0) * 1000
        if i >= a.warmup:
            times.append(dt)
    print(json.dumps({
        'impl': 'pytorch', 'torch': torch.__version__, 'threads': a.threads, 'batch': a.batch, 'size': a.size,
        'params': sum(p.numel() for p in net.parameters()), 'steps_ms': times, 'median_ms': statistics.median(times),
    }))


if __name__ == '__main__':
    main()
