#!/usr/bin/env python3
"""PyTorch twins of the benchmark networks (bench/nets.ts): median ms per training step (fwd + bwd + Adam + BN
running-stat update), MSE to heatmap targets summed over stacks with weights 2^(i - stacks + 1).

  /usr/bin/python3 bench/torch_nets.py --net hg-cpu-small --threads 2 --batch 8 --steps 5 --warmup 2 [--loader 1]

--net: convnet | hg-cpu-tiny | hg-cpu-128 | hg-cpu-small | paper. The hourglass mirrors src/model/hourglass.ts for the
CPU presets (CoordConv x/y/r channels, 7x7/2 stem, pre-activation bottleneck ResBlocks, nearest 2x upsampling, heads
ReLU(InstanceNorm(1x1 conv)), merge x + conv(feature) + conv(heatmap); no AAM, no boundary channels), written here
from that TypeScript, not from the official code.

--net paper is the twin of the `paper` preset (bench/paper-step.ts): 4 stacks of depth 4, 256 channels, 256 px, the
boundary channels from stack 2 on, and AAM heads (point and edge maps, the fixed edge-to-point 1x1 map, fusion
heat * (E2H(edge) * point), both merged into the next stack). Its parameter count equals `star model --preset paper`'s
"ours" (13.48 M; the official code also builds 3.70 M of 1x1 skip convs that its forward never runs, so they get no
gradient and no Adam update, and cost nothing per step). Its objective is the trainer's for an AAM model
(src/train/objective.ts): per stack, weight 2^(i-3) x [STAR on the fused map (--loss star, bench/star_loss_torch.py)
or MSE to the point-map targets (--loss mse) + 10 x (AWing(point maps) + AWing(edge maps))]. The edge-to-point map
here assigns point p to edge p mod 9 (the WFLW groups differ; a fixed 1x1 conv costs the same either way).
--steps/--warmup count steps as elsewhere; a paper step takes several seconds on 2 cores (bench/README.md). --loader 1 feeds batches through a torch DataLoader with one
worker process; --loader-work augment (default) makes it do the tfjs side's per-sample loader work (AugmentedBatches), random
only draws random tensors (the paper twin always does).
Prints one JSON line. Needs Debian's python3-torch (1.13, CPU).
"""
import argparse, json, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    'hg-cpu-tiny': dict(stacks=1, depth=2, channels=32, stem=16, size=64, heat=16, points=98),
    'hg-cpu-128': dict(stacks=1, depth=3, channels=32, stem=16, size=128, heat=32, points=98),
    'hg-cpu-small': dict(stacks=2, depth=3, channels=64, stem=32, size=128, heat=32, points=98),
}

PAPER = dict(stacks=4, depth=4, channels=256, stem=64, size=256, heat=64, points=98, edges=9)

CONVNET = [(3, 2, 3, 32, True), (3, 2, 32, 64, True), (3, 1, 64, 64, True),
           (3, 1, 64, 64, True), (3, 1, 64, 88, True), (1, 1, 88, 98, False)]


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        mods = []
        for k, s, cin, cout, relu in CONVNET:
            # tfjs 'same' pads (0, 1) for stride 2 on even inputs, torch pads symmetrically: same cost.
            mods.append(nn.Conv2d(cin, cout, k, stride=s, padding=k // 2))
            if relu:
                mods.append(nn.ReLU())
        self.body = nn.Sequential(*mods)
        self.stack_weights = [1.0]
        self.size, self.heat, self.points = 128, 32, 98

    def forward(self, x):
        return [self.body(x)]


def coords(x):
    b, _, h, w = x.shape
    ys = torch.linspace(-1, 1, h).view(1, 1, h, 1).expand(b, 1, h, w)
    xs = torch.linspace(-1, 1, w).view(1, 1, 1, w).expand(b, 1, h, w)
    return torch.cat([x, xs, ys, torch.sqrt(xs * xs + ys * ys)], 1)


class Res(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        mid = cout // 2
        self.bn1, self.c1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, mid, 1)
        self.bn2, self.c2 = nn.BatchNorm2d(mid), nn.Conv2d(mid, mid, 3, padding=1)
        self.bn3, self.c3 = nn.BatchNorm2d(mid), nn.Conv2d(mid, cout, 1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        y = self.c1(F.relu(self.bn1(x)))
        y = self.c2(F.relu(self.bn2(y)))
        y = self.c3(F.relu(self.bn3(y)))
        return y + (self.skip(x) if self.skip is not None else x)


class HG(nn.Module):
    def __init__(self, depth, c):
        super().__init__()
        self.up1, self.low1, self.low3 = Res(c, c), Res(c, c), Res(c, c)
        self.low2 = HG(depth - 1, c) if depth > 1 else Res(c, c)

    def forward(self, x):
        up1 = self.up1(x)
        low = self.low3(self.low2(self.low1(F.max_pool2d(x, 2))))
        return up1 + F.interpolate(low, scale_factor=2, mode='nearest')


class Hourglass(nn.Module):
    def __init__(self, p):
        super().__init__()
        C, s, N = p['channels'], p['stem'], p['points']
        self.size, self.heat, self.points = p['size'], p['heat'], N
        self.stem_conv, self.stem_bn = nn.Conv2d(3 + 3, s, 7, stride=2, padding=3), nn.BatchNorm2d(s)
        self.stem_res = nn.ModuleList([Res(s, 2 * s), Res(2 * s, 2 * s), Res(2 * s, C)])
        n = p['stacks']
        self.entry = nn.ModuleList([nn.Conv2d(C + 3, C, 1) for _ in range(n)])
        self.hg = nn.ModuleList([HG(p['depth'], C) for _ in range(n)])
        self.feat_res = nn.ModuleList([Res(C, C) for _ in range(n)])
        self.feat_conv = nn.ModuleList([nn.Conv2d(C, C, 1) for _ in range(n)])
        self.feat_bn = nn.ModuleList([nn.BatchNorm2d(C) for _ in range(n)])
        self.heat_head = nn.ModuleList([nn.Conv2d(C, N, 1) for _ in range(n)])
        self.merge_feat = nn.ModuleList([nn.Conv2d(C, C, 1) for _ in range(n - 1)])
        self.merge_heat = nn.ModuleList([nn.Conv2d(N, C, 1) for _ in range(n - 1)])
        self.stack_weights = [2.0 ** (i - n + 1) for i in range(n)]

    def forward(self, img):
        x = F.relu(self.stem_bn(self.stem_conv(coords(img))))
        x = self.stem_res[0](x)
        x = F.max_pool2d(x, 2)
        x = self.stem_res[2](self.stem_res[1](x))
        outs = []
        for i in range(len(self.hg)):
            f = self.hg[i](self.entry[i](coords(x)))
            f = self.feat_res[i](f)
            f = F.relu(self.feat_bn[i](self.feat_conv[i](f)))
            heat = F.relu(F.instance_norm(self.heat_head[i](f)))
            outs.append(heat)
            if i < len(self.hg) - 1:
                x = x + self.merge_feat[i](f) + self.merge_heat[i](heat)
        return outs


def awing(pred, y, omega=14.0, theta=0.5, eps=1.0, alpha=2.1, weight=10.0, thr=0.2):
    """Adaptive Wing on heatmaps with the dilated-target weight map, as src/loss/baselines.ts adaptiveWing."""
    diff = (y - pred).abs()
    expo = alpha - y
    small = omega * torch.log1p((diff / eps) ** expo)
    te = theta / eps
    a = omega * expo * te ** (expo - 1) / eps / (1 + te ** expo)
    c = theta * a - omega * torch.log1p(te ** expo)
    large = a * diff - c
    loss = torch.where(diff < theta, small, large)
    wmap = (F.max_pool2d(y, 3, stride=1, padding=1) >= thr).float() * weight + 1
    return (loss * wmap).mean()


class Paper(nn.Module):
    """The `paper` preset of src/model/hourglass.ts (see the module docstring)."""

    def __init__(self, p, head='in-relu'):
        super().__init__()
        C, s, N, E = p['channels'], p['stem'], p['points'], p['edges']
        self.size, self.heat, self.points, self.edges, self.head = p['size'], p['heat'], N, E, head
        self.stem_conv, self.stem_bn = nn.Conv2d(3 + 3, s, 7, stride=2, padding=3), nn.BatchNorm2d(s)
        self.stem_res = nn.ModuleList([Res(s, 2 * s), Res(2 * s, 2 * s), Res(2 * s, C)])
        n = p['stacks']
        self.entry = nn.ModuleList([nn.Conv2d(C + 3 + (2 if i > 0 else 0), C, 1) for i in range(n)])
        self.hg = nn.ModuleList([HG(p['depth'], C) for _ in range(n)])
        self.feat_res = nn.ModuleList([Res(C, C) for _ in range(n)])
        self.feat_conv = nn.ModuleList([nn.Conv2d(C, C, 1) for _ in range(n)])
        self.feat_bn = nn.ModuleList([nn.BatchNorm2d(C) for _ in range(n)])
        self.heat_head = nn.ModuleList([nn.Conv2d(C, N, 1) for _ in range(n)])
        self.point_head = nn.ModuleList([nn.Conv2d(C, N, 1) for _ in range(n)])
        self.edge_head = nn.ModuleList([nn.Conv2d(C, E, 1) for _ in range(n)])
        self.merge_feat = nn.ModuleList([nn.Conv2d(C, C, 1) for _ in range(n - 1)])
        self.merge_heat = nn.ModuleList([nn.Conv2d(N, C, 1) for _ in range(n - 1)])
        self.merge_point = nn.ModuleList([nn.Conv2d(N, C, 1) for _ in range(n - 1)])
        self.merge_edge = nn.ModuleList([nn.Conv2d(E, C, 1) for _ in range(n - 1)])
        e2h_w = torch.zeros(N, E, 1, 1)
        for q in range(N):
            e2h_w[q, q % E] = 1
        self.register_buffer('e2h_w', e2h_w)
        self.register_buffer('e2h_b', torch.zeros(N))
        self.stack_weights = [2.0 ** (i - n + 1) for i in range(n)]

    def forward(self, img):
        x = F.relu(self.stem_bn(self.stem_conv(coords(img))))
        x = self.stem_res[0](x)
        x = F.max_pool2d(x, 2)
        x = self.stem_res[2](self.stem_res[1](x))
        outs = []
        prev_heat = None
        for i in range(len(self.hg)):
            inp = coords(x)
            if prev_heat is not None:
                # Boundary channels: the x/y grids where the previous stack's last landmark heatmap exceeds 0.05.
                mask = (prev_heat[:, -1:].clamp(0, 1) > 0.05).float()
                inp = torch.cat([inp, inp[:, -3:-1] * mask], 1)
            f = self.hg[i](self.entry[i](inp))
            f = self.feat_res[i](f)
            f = F.relu(self.feat_bn[i](self.feat_conv[i](f)))
            logits = self.heat_head[i](f)
            heat = F.relu(F.instance_norm(logits)) if self.head == 'in-relu' else logits
            point = torch.sigmoid(self.point_head[i](f))
            edge = torch.sigmoid(self.edge_head[i](f))
            fused = heat * (F.conv2d(edge, self.e2h_w, self.e2h_b) * point)
            outs.append((fused, point, edge))
            prev_heat = heat
            if i < len(self.hg) - 1:
                x = x + self.merge_feat[i](f) + self.merge_heat[i](heat) + self.merge_point[i](point) + self.merge_edge[i](edge)
        return outs


class PaperBatches(torch.utils.data.Dataset):
    def __init__(self, n, size, heat, points, edges):
        self.n, self.size, self.heat, self.points, self.edges = n, size, heat, points, edges

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return (torch.rand(3, self.size, self.size, generator=g) * 2 - 1,
                torch.rand(self.points, 2, generator=g) * 1.8 - 0.9,
                torch.rand(self.points, self.heat, self.heat, generator=g),
                torch.rand(self.edges, self.heat, self.heat, generator=g))


def paper_objective(net, outs, batch, loss_kind):
    from star_loss_torch import star_loss
    _, gt, pointmaps, edgemaps = batch
    total = 0
    for w, (fused, point, edge) in zip(net.stack_weights, outs):
        main = star_loss(fused, gt) if loss_kind == 'star' else F.mse_loss(fused, pointmaps)
        total = total + w * (main + 10 * (awing(point, pointmaps) + awing(edge, edgemaps)))
    return total


class AugmentedBatches(torch.utils.data.Dataset):
    """The work a real loader does per sample, as the tfjs side's loader does it (src/data/augment.ts with its official
    settings, over random-noise faces of side 1.5·S like bench/random-faces.ts): flip p=0.5, rotation ~ N(0, 18°), zoom
    ~ N(1, 0.1), shift ~ N(0, 0.05·S), one bilinear warp to S×S (grid_sample), occlusion p=0.4, box blur p=0.3 (k up
    to 0.05·S), gamma p=0.2, uniform-noise blend p=0.2, grayscale p=0.2, scaling to [-1, 1], the landmarks through the
    same transform, and Gaussian heatmap targets (σ = 1 heatmap px, every landmark, vectorised). Random tensors alone
    (RandomBatches) cost PyTorch's loader almost nothing while ours did this work, which at 2 threads on 2 cores
    competes with the step."""
    def __init__(self, n, size, heat, points, sources=32):
        self.n, self.size, self.heat, self.points = n, size, heat, points
        side = round(size * 1.5)
        g = torch.Generator().manual_seed(12345)
        self.images = torch.randint(0, 256, (sources, 3, side, side), generator=g, dtype=torch.uint8)
        self.landmarks = (torch.rand(sources, points, 2, generator=g) - 0.5) * side * 0.5 + side / 2
        self.side = side

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        import math
        g = torch.Generator().manual_seed(i)
        u = lambda: float(torch.rand((), generator=g))
        nrm = lambda: float(torch.randn((), generator=g))
        k = i % self.images.shape[0]
        S, side = self.size, self.side
        img = self.images[k].float().unsqueeze(0)
        pts = self.landmarks[k].clone()
        if u() < 0.5:
            img = img.flip(3)
            pts[:, 0] = side - 1 - pts[:, 0]
        rot = nrm() * 18 * math.pi / 180
        zoom = 1 + nrm() * 0.1
        sx, sy = nrm() * 0.05 * S, nrm() * 0.05 * S
        # Output pixel (crop coordinates about the centre) -> source pixel: rotate and zoom (the crop spans
        # 0.7·side/zoom source pixels), shifted.
        span = side * 0.7 / zoom
        c, s_ = math.cos(rot), math.sin(rot)
        a = torch.tensor([[c, -s_], [s_, c]]) * (span / S)
        ys, xs = torch.meshgrid(torch.arange(S, dtype=torch.float32) - S / 2 + sy, torch.arange(S, dtype=torch.float32) - S / 2 + sx, indexing='ij')
        src = torch.stack([xs, ys], -1) @ a.T + side / 2
        grid = (src / (side - 1)) * 2 - 1
        crop = F.grid_sample(img, grid.unsqueeze(0), mode='bilinear', align_corners=True)[0]
        pts_crop = (pts - side / 2) @ torch.linalg.inv(a).T - torch.tensor([sx, sy]) + S / 2
        if u() < 0.4:
            rh = 0.2 + 0.6 * u()
            h, w = int(rh * S / 2), int((rh - 0.2 + 0.4 * u()) * S / 2)
            y0, x0 = int(u() * (S - h)), int(u() * (S - w))
            crop[:, y0:y0 + h, x0:x0 + w] = 0
        if u() < 0.3:
            kk = int(S * 0.05 * u())
            if kk > 1:
                crop = F.avg_pool2d(crop.unsqueeze(0), kk, stride=1, padding=kk // 2, count_include_pad=False)[0][:, :S, :S]
        if u() < 0.2:
            crop = 255 * (crop / 255).clamp(min=0) ** (0.5 + u())
        if u() < 0.2:
            alpha = 0.5 * u()
            crop = (1 - alpha) * crop + alpha * torch.rand(crop.shape, generator=g) * 255
        if u() < 0.2:
            crop = (0.299 * crop[0] + 0.587 * crop[1] + 0.114 * crop[2]).expand(3, S, S)
        x = crop / 127.5 - 1
        hm = pts_crop * (self.heat / S)
        axis = torch.arange(self.heat, dtype=torch.float32)
        gx = torch.exp(-((axis[None, :] - hm[:, 0:1]) ** 2) / 2)
        gy = torch.exp(-((axis[None, :] - hm[:, 1:2]) ** 2) / 2)
        y = gy[:, :, None] * gx[:, None, :]
        return x.contiguous(), y


class RandomBatches(torch.utils.data.Dataset):
    def __init__(self, n, size, heat, points):
        self.n, self.size, self.heat, self.points = n, size, heat, points

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return (torch.rand(3, self.size, self.size, generator=g) * 2 - 1,
                torch.rand(self.points, self.heat, self.heat, generator=g))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--net', default='convnet')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--loader', type=int, default=1, help='DataLoader worker processes (0 = tensors made once)')
    ap.add_argument('--loader-work', choices=['augment', 'random'], default='augment',
                    help='augment: the per-sample work of the tfjs side\'s loader (AugmentedBatches); random: random tensors')
    ap.add_argument('--loss', choices=['star', 'mse'], default='star', help='paper only: the loss on the fused maps')
    ap.add_argument('--params-only', action='store_true', help='print the parameter count and exit')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.net == 'paper':
        net = Paper(PAPER, head='in-relu' if a.loss == 'star' else 'linear')
    else:
        net = ConvNet() if a.net == 'convnet' else Hourglass(PRESETS[a.net])
    params = sum(p.numel() for p in net.parameters())
    if a.params_only:
        print(json.dumps({'net': a.net, 'params': params}))
        return
    if a.net == 'paper':
        return run_paper(net, a, params)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    total = a.warmup + a.steps
    if a.loader > 0:
        ds = (AugmentedBatches if a.loader_work == 'augment' else RandomBatches)(total * a.batch, net.size, net.heat, net.points)
        batches = iter(torch.utils.data.DataLoader(ds, batch_size=a.batch, num_workers=a.loader, prefetch_factor=2))
    else:
        x = torch.rand(a.batch, 3, net.size, net.size) * 2 - 1
        y = torch.rand(a.batch, net.points, net.heat, net.heat)
        batches = iter([(x, y)] * total)
    times, waits = [], []
    for i in range(total):
        t0 = time.perf_counter()
        x, y = next(batches)
        waited = (time.perf_counter() - t0) * 1000
        opt.zero_grad()
        outs = net(x)
        loss = sum(w * F.mse_loss(o, y) for w, o in zip(net.stack_weights, outs))
        loss.backward()
        opt.step()
        loss.item()
        dt = (time.perf_counter() - t0) * 1000
        if i >= a.warmup:
            times.append(dt)
            waits.append(waited)
    print(json.dumps({
        'impl': 'pytorch', 'torch': torch.__version__, 'net': a.net, 'threads': a.threads, 'batch': a.batch,
        'size': net.size, 'loader_workers': a.loader, 'loader_work': a.loader_work if a.loader > 0 else None, 'params': sum(p.numel() for p in net.parameters()),
        'steps_ms': times, 'median_ms': statistics.median(times), 'loader_wait_ms': statistics.median(waits),
    }))


def run_paper(net, a, params):
    """Per-step ms and peak RSS of the paper twin, one JSON line at the end (progress on stderr: steps are slow)."""
    import resource, sys
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    total = a.warmup + a.steps
    ds = PaperBatches(total * a.batch, net.size, net.heat, net.points, net.edges)
    batches = iter(torch.utils.data.DataLoader(ds, batch_size=a.batch, num_workers=a.loader, prefetch_factor=2) if a.loader > 0
                   else torch.utils.data.DataLoader(ds, batch_size=a.batch))
    times, rss = [], []
    for i in range(total):
        t0 = time.perf_counter()
        batch = next(batches)
        opt.zero_grad()
        loss = paper_objective(net, net(batch[0]), batch, a.loss)
        loss.backward()
        opt.step()
        value = loss.item()
        dt = (time.perf_counter() - t0) * 1000
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f'[torch paper] step {i + 1}/{total}: {dt:.0f} ms, loss {value:.4f}, peak RSS {peak:.0f} MB', file=sys.stderr, flush=True)
        if i >= a.warmup:
            times.append(dt)
            rss.append(peak)
    print(json.dumps({
        'impl': 'pytorch', 'torch': torch.__version__, 'net': a.net, 'threads': a.threads, 'batch': a.batch, 'loss': a.loss,
        'size': net.size, 'loader_workers': a.loader, 'params': params, 'steps_ms': times,
        'median_ms': statistics.median(times), 'peak_rss_mb': rss,
    }))


if __name__ == '__main__':
    main()
