"""STAR loss v2 (smooth-l1, w=1) forward+backward in PyTorch, written from the formulas in
docs/star-reference.md (not the official code): per-channel normalisation by the clamped sum, mean and unbiased
weighted covariance on the STAR grid, torch.linalg.eigh on the CPU (as the official code), distance first then
1/sqrt(lambda + 1e-5), value restriction, mean over B x N. Also times heatmap MSE fwd+bwd.

Usage: /usr/bin/python3 bench/star_loss_torch.py [B H W N reps]   -> prints one JSON line (medians in ms).
"""
import json
import sys
import time

import torch


def grid(h, w):
    xs = torch.arange(w, dtype=torch.float32) * 2 / (w - 1) - 1
    ys = torch.arange(h, dtype=torch.float32) * 2 / (h - 1) - 1
    return xs, ys


def smooth_l1(e, scale=0.01):
    sq = e * e
    absd = torch.sqrt(torch.clamp(sq, min=1e-6))
    return torch.where(sq < scale * scale, sq / (2 * scale), absd - scale / 2)


def star_loss(hm, gt, w=1.0):
    b, n, h, wd = hm.shape
    xs, ys = grid(h, wd)
    hn = hm / torch.clamp(hm.sum(dim=(2, 3), keepdim=True), min=1e-6)
    mx = (hn * xs.view(1, 1, 1, wd)).sum(dim=(2, 3))
    my = (hn * ys.view(1, 1, h, 1)).sum(dim=(2, 3))
    dx = xs.view(1, 1, 1, wd) - mx.view(b, n, 1, 1)
    dy = ys.view(1, 1, h, 1) - my.view(b, n, 1, 1)
    v1 = hn.sum(dim=(2, 3)) + 1e-5
    v2 = (hn * hn).sum(dim=(2, 3)) + 1e-5
    den = v1 - v2 / v1
    cxx = (hn * dx * dx).sum(dim=(2, 3)) / den
    cxy = (hn * dx * dy).sum(dim=(2, 3)) / den
    cyy = (hn * dy * dy).sum(dim=(2, 3)) / den
    cov = torch.stack([torch.stack([cxx, cxy], -1), torch.stack([cxy, cyy], -1)], -2)
    evalues, evectors = torch.linalg.eigh(cov.cpu())
    e = gt - torch.stack([mx, my], -1)
    p0 = (evectors[..., 0] * e).sum(-1)  # rows of V (as the official code); V is symmetric for 2x2 eigh
    p1 = (evectors[..., 1] * e).sum(-1)
    loss = smooth_l1(p0) / torch.sqrt(evalues[..., 0] + 1e-5) + smooth_l1(p1) / torch.sqrt(evalues[..., 1] + 1e-5)
    loss = loss + w * (evalues[..., 0].abs() + evalues[..., 1].abs())
    return loss.mean()


def median_ms(fn, reps, warmup=3):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return ts[len(ts) // 2]


def main():
    b, h, w, n, reps = (int(a) for a in (sys.argv[1:6] if len(sys.argv) >= 6 else (2, 64, 64, 98, 15)))
    torch.manual_seed(0)
    # Sharp-ish blobs plus noise, non-negative (like an instance-norm + ReLU head).
    base = torch.rand(b, n, h, w)
    hm = torch.relu(base - 0.9).requires_grad_(True)
    gt = torch.rand(b, n, 2) * 2 - 1
    target = torch.rand(b, n, h, w)

    def star_step():
        hm.grad = None
        star_loss(hm, gt).backward()

    def mse_step():
        hm.grad = None
        torch.nn.functional.mse_loss(hm, target).backward()

    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "shape_nchw": [b, n, h, w],
        "star_fwd_bwd_ms": median_ms(star_step, reps),
        "mse_fwd_bwd_ms": median_ms(mse_step, reps),
        "star_loss_value": float(star_loss(hm, gt)),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
