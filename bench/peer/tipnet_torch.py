"""PyTorch peer of tipstream's TipNet, for the benchmarks that compare DL4J with PyTorch.

Two modes, each building the network from a TipNetConfig's properties (`TipNetConfig.toProperties`,
the same text every checkpoint carries), so both frameworks train exactly the same shape:

  speed   training and inference images/s on random in-memory batches (TrainingThroughputBenchmark's
          peer): /usr/bin/python3 bench/peer/tipnet_torch.py speed --config net.properties
  learn   the learning curve (ModelQualityBenchmark --peer): trains on batches that the Java benchmark
          draws and augments with the trainer's own code, and hands back its raw output maps for
          the benchmark's eval, validation and training-sample frames at each reporting time, which
          the benchmark scores with eval-service's own code. Not run by hand.

Layers as in tipstream.model.TipNet: 3x3 stem (stride 1 or 2; at stride 4 the input folded 2 x 2 into four
channels, as FrameTensor.input folds it, then a stride-2 3x3 stem), stride-2 3x3 stages, 3x3 context
convolutions, each conv + batch norm + ReLU (or conv with bias + ReLU without batch norm), He
initialisation; a heatmap head of one 1x1 convolution (heat, presence starting at p = 0.1, the two
offsets) or the seed's grid head; the same losses as HeatmapLoss and TipLoss; Adam. Deeper
stages (a feature pyramid) are not modelled: the peer refuses such a config.
"""
import argparse
import math
import statistics
import struct
import sys
import time

import torch
from torch import nn
from torch.nn import functional as F

PRESENCE_PRIOR_BIAS = math.log(0.1 / 0.9)


def read_properties(path):
    props = {}
    with open(path, encoding="latin-1") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "!")) and "=" in line:
                key, value = line.split("=", 1)
                props[key.strip()] = value.strip().replace("\\:", ":")
    return props


def ints(text):
    return [int(v) for v in text.split(",") if v.strip()]


class TipNet(nn.Module):
    def __init__(self, props):
        super().__init__()
        if ints(props.get("deep.channels", "")):
            sys.exit("the peer does not model deeper stages (deep.channels)")
        if int(props.get("fine.channels", "0")) > 0:
            sys.exit("the peer does not model a fine level (fine.channels)")
        self.head_kind = props["head"]
        norm = props.get("batch.norm", "true") == "true"
        layers = []
        cin = 1

        def block(cout, stride, dilation=1):
            nonlocal cin
            if stride == 4:  # TipNet's stride-4 stem: on the input folded 2 x 2 (forward), a stride-2 3x3
                cin, stride = 4, 2
            layers.append(nn.Conv2d(cin, cout, 3, stride, dilation, dilation=dilation, bias=not norm))
            if norm:
                layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.ReLU())
            cin = cout

        self.fold = 2 if int(props.get("stem.stride", "1")) == 4 else 1
        block(int(props["stem.channels"]), int(props.get("stem.stride", "1")))
        for width in ints(props["stage.channels"]):
            block(width, 2)
        for dilation in ints(props.get("context.dilations", "")):
            block(int(props["context.channels"]), 1, dilation)
        self.body = nn.Sequential(*layers)
        for m in self.body.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        # one 1x1 convolution for all of the head's channels, as TipNet builds it
        self.head = nn.Conv2d(cin, 4 if self.head_kind == "HEATMAP" else 3, 1)
        nn.init.xavier_normal_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        if self.head_kind == "HEATMAP":
            with torch.no_grad():
                self.head.bias[1] = PRESENCE_PRIOR_BIAS  # presence starts at p = 0.1
        self.standardised = props.get("input.standardised", "false") == "true"
        self.presence_weight = float(props["loss.presence.weight"])
        self.position_weight = float(props["loss.position.weight"])

    def forward(self, x):
        if self.standardised:  # as FrameTensor.input: each image to zero mean, unit variance
            flat = x.flatten(1)
            x = (x - flat.mean(1).view(-1, 1, 1, 1)) / (flat.std(1, unbiased=False).view(-1, 1, 1, 1) + 1e-3)
        if self.fold > 1:  # as FrameTensor.input: an odd size padded with zeros, channel 2 dy + dx
            x = F.pixel_unshuffle(F.pad(x, (0, (-x.shape[3]) % self.fold, 0, (-x.shape[2]) % self.fold)), self.fold)
        features = self.body(x)
        return self.head(features)

    def loss(self, out, labels):
        return heatmap_loss(out, labels, self.presence_weight, self.position_weight) if self.head_kind == "HEATMAP" \
            else grid_loss(out, labels, self.presence_weight, self.position_weight)


def heatmap_loss(out, labels, presence_weight, offset_weight):
    """HeatmapLoss per frame, averaged over the batch: softmax cross-entropy of where, focal presence
    per cell, L1 offsets around the tip (channels: heat, presence / offset weight, offset x, offset y)."""
    n = out.shape[0]
    heat, presence = out[:, 0].reshape(n, -1), out[:, 1].reshape(n, -1)
    target, weight = labels[:, 0].reshape(n, -1), labels[:, 1].reshape(n, -1)
    mass = target.sum(1)
    loss = torch.logsumexp(heat, 1) * mass - (target * heat).sum(1)
    peak = target.max(1, keepdim=True).values
    y = torch.where(peak > 0, target / peak.clamp_min(1e-30), torch.zeros_like(target))
    p = torch.sigmoid(presence)
    focal = torch.where(y >= 1, -(1 - p) ** 2 * F.logsigmoid(presence),
                        -((1 - y) ** 4) * p ** 2 * F.logsigmoid(-presence))
    loss = loss + presence_weight * focal.sum(1)
    error = ((out[:, 2] - labels[:, 2]).abs() + (out[:, 3] - labels[:, 3]).abs()).reshape(n, -1)
    offset_mass = weight.sum(1)
    loss = loss + offset_weight * torch.where(offset_mass > 0, (weight * error).sum(1) / offset_mass.clamp_min(1e-30),
                                              torch.zeros_like(offset_mass))
    return loss.mean()


def grid_loss(out, labels, presence_weight, position_weight):
    """TipLoss: BCE-with-logits presence over all cells + squared error of sigmoid offsets in the tip's cell."""
    presence = labels[:, 0]
    bce = F.binary_cross_entropy_with_logits(out[:, 0], presence, reduction="sum")
    xy = ((torch.sigmoid(out[:, 1:3]) - labels[:, 1:3]) ** 2).sum(dim=1) * presence
    return (presence_weight * bce + position_weight * xy.sum()) / out.shape[0]


def output_shape(net, height, width):
    with torch.no_grad():
        return tuple(net(torch.zeros(1, 1, height, width)).shape[1:])


def optimiser_for(net, props, lr):
    """Adam, as TipNet; with the shape's weight decay (DL4J's, decoupled: each step also takes
    lr x decay x weight off every convolution's weights, not off biases), AdamW on those weights."""
    decay = float(props.get("weight.decay", "0"))
    if decay == 0:
        return torch.optim.Adam(net.parameters(), lr=lr)
    weights = [p for p in net.parameters() if p.dim() > 1]
    others = [p for p in net.parameters() if p.dim() <= 1]
    return torch.optim.AdamW([{"params": weights, "weight_decay": decay}, {"params": others, "weight_decay": 0.0}],
                             lr=lr)


def speed(args, props):
    torch.manual_seed(1)
    height, width = int(props["input.height"]), int(props["input.width"])
    device = torch.device(args.device)
    # a GPU runs asynchronously: a step's time is only known once its kernels have finished
    finish = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    net = TipNet(props)
    channels, rows, cols = output_shape(net, height, width)
    net.to(device)
    optimiser = optimiser_for(net, props, float(props["learning.rate"]))
    x = torch.rand(args.batch, 1, height, width)
    labels = torch.zeros(args.batch, channels, rows, cols)
    for n in range(args.batch):
        r, c = torch.randint(0, rows, (1,)).item(), torch.randint(0, cols, (1,)).item()
        labels[n, 0, r, c] = 1.0
        labels[n, 1:, r, c] = 0.5 if props["head"] == "HEATMAP" else torch.tensor([0.5, 0.5])
    x, labels = x.to(device), labels.to(device)

    def step():
        optimiser.zero_grad()
        loss = net.loss(net(x), labels)
        loss.backward()
        optimiser.step()

    net.train()
    for _ in range(args.warmup):
        step()
    finish()
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        finish()
        times.append(time.perf_counter() - t0)
    if args.profile:
        profile_steps(step, args.profile)
    net.eval()
    infer = []
    with torch.no_grad():
        for _ in range(args.steps):
            t0 = time.perf_counter()
            net(x)
            finish()
            infer.append(time.perf_counter() - t0)
    params = sum(p.numel() for p in net.parameters())
    print(f"PyTorch {torch.__version__} TipNet {props['head']}, {params} parameters, input 1x{height}x{width},"
          f" batch {args.batch}, threads {torch.get_num_threads()}, device {device}")
    print(f"training: median step {statistics.median(times):.3f} s, {args.batch / statistics.median(times):.1f} images/s")
    print(f"inference: median batch {statistics.median(infer):.3f} s, {args.batch / statistics.median(infer):.1f} images/s")


def profile_steps(step, steps):
    """Where a training step's time goes, by PyTorch operator, self time per step (the DL4J side: BENCHMARKS.md,
    "Training throughput", the oneDNN verbose log summarised by bench/onednn_summary.py)."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    rows = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in rows)
    print(f"profile of {steps} training steps: {total / steps / 1e3:.2f} ms of self CPU time a step (the main thread)")
    for e in rows[:15]:
        print(f"  {e.self_cpu_time_total / steps / 1e3:7.2f} ms/step  {e.count // steps:4d} calls/step  {e.key}")


def read_exactly(stream, size):
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError("the benchmark closed the batch stream")
        data += chunk
    return bytes(data)


def read_floats(stream, shape):
    count = math.prod(shape)
    return torch.frombuffer(bytearray(read_exactly(stream, 4 * count)), dtype=torch.float32).reshape(shape)


def learn(args, props):
    """Protocol on stdin/stdout (little-endian): the benchmark first sends --sets frame sets
    (int32 count, then count x 1 x H x W floats: eval, validation and training sample, then eval and
    validation in each further test-time view); then the
    peer asks for each batch with b"B" and reads int32 n, n x 1 x H x W inputs and n x C x R x K labels;
    at each reporting time it writes b"R", int32 step, float64 training seconds, and its raw output
    for the sets in order; b"Q" when done.
    With a refiner (--refiner-config, the second stage's shape): each batch also carries int32 m,
    m x 1 x S x S crops and their labels, on which the refiner takes a step of its own; after each
    report the peer places the tip on the crops the benchmark sends (int32 n, n crops; it answers
    with the refiner's n raw maps) until n is 0."""
    torch.manual_seed(args.seed)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    height, width = int(props["input.height"]), int(props["input.width"])
    net = TipNet(props)
    shape = output_shape(net, height, width)
    refiner, refiner_shape, crop, refiner_optimiser = None, None, 0, None
    if args.refiner_config:
        refiner_props = read_properties(args.refiner_config)
        refiner = TipNet(refiner_props)
        crop = int(refiner_props["input.width"])
        refiner_shape = output_shape(refiner, crop, crop)
        refiner_optimiser = optimiser_for(refiner, refiner_props, args.lr)
    sets = []
    for _ in range(args.sets):
        (count,) = struct.unpack("<i", read_exactly(inp, 4))
        sets.append(read_floats(inp, (count, 1, height, width)))
    optimiser = optimiser_for(net, props, args.lr)
    minutes = [float(m) for m in args.minutes.split(",")]
    budget = minutes[-1] * 60
    floor = args.lr / 100
    seconds, step, next_report = 0.0, 0, 0
    while next_report < len(minutes):
        out.write(b"B")
        out.flush()
        (n,) = struct.unpack("<i", read_exactly(inp, 4))
        x = read_floats(inp, (n, 1, height, width))
        labels = read_floats(inp, (n,) + shape)
        if refiner is not None:
            (m,) = struct.unpack("<i", read_exactly(inp, 4))
            crops = read_floats(inp, (m, 1, crop, crop))
            crop_labels = read_floats(inp, (m,) + refiner_shape)
        step += 1
        t0 = time.perf_counter()
        progress = min(1000, int(1000 * seconds / budget))
        rate = floor if progress >= 1000 else floor + (args.lr - floor) * 0.5 * (1 + math.cos(math.pi * progress / 1000))
        for group in optimiser.param_groups:
            group["lr"] = min(1.0, step / args.warmup) * rate
        net.train()
        optimiser.zero_grad()
        loss = net.loss(net(x), labels)
        loss.backward()
        optimiser.step()
        if refiner is not None:
            for group in refiner_optimiser.param_groups:
                group["lr"] = min(1.0, step / args.warmup) * rate
            refiner.train()
            refiner_optimiser.zero_grad()
            refiner.loss(refiner(crops), crop_labels).backward()
            refiner_optimiser.step()
        seconds += time.perf_counter() - t0
        if seconds >= minutes[next_report] * 60:
            net.eval()
            out.write(b"R" + struct.pack("<id", step, seconds))
            with torch.no_grad():
                for frames in sets:
                    for start in range(0, frames.shape[0], 25):
                        out.write(net(frames[start:start + 25]).contiguous().numpy().astype("<f4").tobytes())
            out.flush()
            if refiner is not None:
                refiner.eval()
                with torch.no_grad():
                    while True:
                        (count,) = struct.unpack("<i", read_exactly(inp, 4))
                        if count == 0:
                            break
                        crops = read_floats(inp, (count, 1, crop, crop))
                        out.write(refiner(crops).contiguous().numpy().astype("<f4").tobytes())
                        out.flush()
            next_report += 1
    out.write(b"Q")
    out.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["speed", "learn"])
    parser.add_argument("--config", required=True, help="a TipNetConfig's properties (TipNetConfig.toProperties)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="speed: cpu, or cuda on a machine with an NVIDIA GPU")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5, help="speed: untimed steps; learn: warm-up steps")
    parser.add_argument("--profile", type=int, default=0, metavar="STEPS",
                        help="speed: also profile this many training steps by operator (torch.profiler)")
    parser.add_argument("--lr", type=float, default=0.002)
    parser.add_argument("--minutes", default="5,10,20,30")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--sets", type=int, default=3,
                        help="learn: frame sets sent first (eval, validation, training sample, then eval and"
                             " validation in each further test-time view)")
    parser.add_argument("--refiner-config", help="learn: the refining stage's TipNetConfig properties (TipRefiner.shape)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    props = read_properties(args.config)
    speed(args, props) if args.mode == "speed" else learn(args, props)


if __name__ == "__main__":
    main()
