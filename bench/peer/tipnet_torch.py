"""PyTorch peer of tipstream's TipNet for the training-throughput benchmark.

Same layers as tipstream.model.TipNet with TipNetConfig.standard(): a 3x3 stem (16), five
stride-2 3x3 stages (32, 32, 64, 64, 128), a 3x3 conv (128), each conv + batch norm + ReLU,
then a 1x1 conv to 3 channels; the same loss (5 x BCE-with-logits on presence over all cells +
squared error of sigmoid offsets in the tip's cell). Input 1 x 203 x 264, batch 16, Adam 1e-3.

Run: /usr/bin/python3 bench/peer/tipnet_torch.py [--batch 16 --steps 30 --warmup 5]
"""
import argparse
import statistics
import time

import torch
from torch import nn


def block(cin, cout, stride):
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


def tipnet():
    layers = block(1, 16, 1)
    cin = 16
    for cout in (32, 32, 64, 64, 128):
        layers += block(cin, cout, 2)
        cin = cout
    layers += block(cin, 128, 1)
    layers.append(nn.Conv2d(128, 3, 1))
    net = nn.Sequential(*layers)
    for m in net.modules():
        if isinstance(m, nn.Conv2d) and m.out_channels != 3:
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    return net


def tip_loss(out, labels):
    presence = labels[:, 0]
    bce = nn.functional.binary_cross_entropy_with_logits(out[:, 0], presence, reduction="sum")
    xy = ((torch.sigmoid(out[:, 1:3]) - labels[:, 1:3]) ** 2).sum(dim=1) * presence
    return (5 * bce + xy.sum()) / out.shape[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(2)
    net = tipnet()
    params = sum(p.numel() for p in net.parameters())
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(args.batch, 1, 203, 264)
    labels = torch.zeros(args.batch, 3, 7, 9)
    for n in range(args.batch):
        r, c = torch.randint(0, 7, (1,)).item(), torch.randint(0, 9, (1,)).item()
        labels[n, :, r, c] = torch.tensor([1.0, 0.5, 0.5])

    def step():
        optimiser.zero_grad()
        loss = tip_loss(net(x), labels)
        loss.backward()
        optimiser.step()

    net.train()
    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    net.eval()
    infer = []
    with torch.no_grad():
        for _ in range(args.steps):
            t0 = time.perf_counter()
            net(x)
            infer.append(time.perf_counter() - t0)
    print(f"PyTorch {torch.__version__} TipNet {params} parameters, batch {args.batch}, threads 2")
    print(f"training: median step {statistics.median(times):.3f} s, {args.batch / statistics.median(times):.1f} images/s")
    print(f"inference: median batch {statistics.median(infer):.3f} s, {args.batch / statistics.median(infer):.1f} images/s")


if __name__ == "__main__":
    main()
