#!/usr/bin/env python3
"""Time the authors' reference code (github.com/k-flouris/gfe) at the parity setting, on this machine.

This file is ours; it contains none of the authors' code. It imports their modules from the checkout given with
--authors (their `gflow.GFlow_AMD_approx`, `networks.net_mnist_dec` and their AMD solver) and drives them the way their
main.py does for `MODEL = AMD`: for each batch, encode with AMD from a uniform z0, decode, per-feature eps-BCE summed
over the batch, one RMSprop step (lr 5e-4, alpha 0.9, eps 1e-6). The AMD constants are their Fashion-MNIST
configuration's, except the batch size (16, the engine's parity setting, where their file says 5).

Data: Fashion-MNIST's IDX files as `gfe data fetch` stores them. The training images are the first --train-size of
their own fixed split (numpy RandomState(0) shuffle of the first 50,000 training images), in that order; the test
images the first --test-images of the test file. Pixels are floats in [0, 1], as torchvision's ToTensor gives.

Prints one line of `key=value` pairs (parsed by `gfe bench authors`): training images per second (wall, and per
CPU-second of this process after the first batch), AMD trials per batch (calls of their step routine, accepted and rejected), the test
encoding's milliseconds per image, the test loss (mean per-image BCE), and the rate of a large matmul in this torch.
"""
import argparse
import contextlib
import gzip
import os
import struct
import sys
import time


def read_idx_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            raise SystemExit(f"{path}: not an IDX image file (magic {magic})")
        data = f.read(count * rows * cols)
    if len(data) != count * rows * cols:
        raise SystemExit(f"{path}: truncated ({len(data)} of {count * rows * cols} bytes)")
    return data, count, rows * cols


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--authors", required=True, help="checkout of github.com/k-flouris/gfe")
    parser.add_argument("--data", required=True, help="directory holding train-images-idx3-ubyte(.gz) and t10k-images-idx3-ubyte(.gz)")
    parser.add_argument("--train-size", type=int, default=480)
    parser.add_argument("--test-images", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tau", type=float, default=1e4)
    parser.add_argument("--seed", type=int, default=2020, help="torch seed (their main.py uses 2020)")
    args = parser.parse_args()

    authors = os.path.abspath(args.authors)
    for need in ("gflow.py", "networks.py", os.path.join("torchdiffeq-master-amd", "torchdiffeq")):
        if not os.path.exists(os.path.join(authors, need)):
            raise SystemExit(f"--authors {authors}: no {need}; expected a checkout of github.com/k-flouris/gfe")
    # Their gflow.py appends "torchdiffeq-master-amd" to sys.path relative to the working directory.
    os.chdir(authors)
    sys.path[:0] = [authors, os.path.join(authors, "torchdiffeq-master-amd")]

    import numpy as np
    import torch
    torch.set_num_threads(1)
    from gflow import GFlow_AMD_approx
    from networks import net_mnist_dec
    from torchdiffeq._impl.amd import AdaptiveMinimiseDistance

    # Count AMD trials by wrapping their step routine (one call = one trial, accepted or rejected).
    trials = [0]
    step = AdaptiveMinimiseDistance._adaptive_amd_step

    def counted(self, *a, **k):
        trials[0] += 1
        return step(self, *a, **k)
    AdaptiveMinimiseDistance._adaptive_amd_step = counted

    def find(name):
        for candidate in (name + ".gz", name):
            path = os.path.join(args.data, candidate)
            if os.path.exists(path):
                return path
        raise SystemExit(f"--data {args.data}: no {name}(.gz); run `./gfe data fetch fashion-mnist` first")

    train_bytes, train_count, width = read_idx_images(find("train-images-idx3-ubyte"))
    test_bytes, test_count, _ = read_idx_images(find("t10k-images-idx3-ubyte"))
    if train_count < 50000 or args.train_size > 49992 or args.test_images > test_count:
        raise SystemExit("sizes out of range")
    train_all = np.frombuffer(train_bytes, dtype=np.uint8).reshape(train_count, width)
    order = np.arange(50000)
    np.random.RandomState(seed=0).shuffle(order)
    train = torch.from_numpy(train_all[order[: args.train_size]].astype(np.float32) / 255.0)
    test = torch.from_numpy(np.frombuffer(test_bytes, dtype=np.uint8).reshape(test_count, width)[: args.test_images].astype(np.float32) / 255.0)

    # Before seeding, so that it draws nothing from the generators the run uses. The same reference as `gfe bench`: a large [1000,600]@[600,784] product on one thread, so that a slow BLAS
    # (Debian's reference BLAS, or OpenBLAS not knowing this CPU) shows in the output instead of passing for slow code.
    a, w = torch.rand(1000, 600), torch.rand(600, width)
    for _ in range(3):
        a @ w
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < 1.0:
        a @ w
        count += 1
    matmul_gflops = 2 * 1000 * 600 * width * count / (time.perf_counter() - start) / 1e9

    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    net = net_mnist_dec(20, width)

    def batch_loss(y, x, eps=1e-8):
        return torch.sum(torch.mean(-x * torch.log(torch.sigmoid(y) + eps) - (1 - x) * torch.log(1 - torch.sigmoid(y) + eps), axis=1))

    def per_image_loss(y, x, eps=1e-8):
        return torch.mean(-x * torch.log(torch.sigmoid(y) + eps) - (1 - x) * torch.log(1 - torch.sigmoid(y) + eps), axis=1)

    gflow = GFlow_AMD_approx(net, 20, batch_loss, per_image_loss, tau=args.tau, alpha=1.0, aTOL=1e-9, rTOL=1e-5,
                             int_tsteps=100, device=torch.device("cpu"), dtstep=1, dtmaxstep=10, dtfactor=0.5,
                             dtiter=15, conv_graddt=1e-5, conv_percentagetau=0.98, conv_dtstep=10, armijosigma=1e-5)
    optimizer = torch.optim.RMSprop(net.parameters(), lr=5e-4, eps=1e-6, alpha=0.9)

    quiet = open(os.devnull, "w")  # their solver prints a line per convergence
    batches = (args.train_size + args.batch - 1) // args.batch
    # Per CPU-second from the end of the first batch to the end of the last, as `gfe bench` counts ours: the first
    # batch carries one-time work on both sides. The wall time covers every batch, as ours does.
    wall, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(quiet):
        for b in range(batches):
            x = train[b * args.batch:(b + 1) * args.batch]
            gflow.x_data = x
            z = gflow.determine_zs(z0="rand")
            loss = batch_loss(gflow.net(z)[0], x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if b == 0:
                first_cpu, first_images = time.process_time(), len(x)
            print(f"batch {b + 1}/{batches}", file=sys.stderr, end="\r", flush=True)
    train_wall, end_cpu = time.perf_counter() - wall, time.process_time()
    steady = batches > 1
    img_per_cpu_s = (args.train_size - first_images) / (end_cpu - first_cpu) if steady else args.train_size / (end_cpu - cpu)
    train_trials = trials[0]

    trials[0] = 0
    total = 0.0
    wall = time.perf_counter()
    with contextlib.redirect_stdout(quiet):
        for b in range(0, args.test_images, args.batch):
            x = test[b:b + args.batch]
            gflow.x_data = x
            z = gflow.determine_zs(z0="rand")
            total += batch_loss(gflow.net(z)[0], x).item()
    test_wall = time.perf_counter() - wall
    print(" " * 20, file=sys.stderr, end="\r")

    print(f"authors images={args.train_size} train_s={train_wall:.3f} img_per_s={args.train_size / train_wall:.3f} "
          f"img_per_cpu_s={img_per_cpu_s:.3f} trials_per_batch={train_trials / batches:.1f} "
          f"test_ms_per_image={1000 * test_wall / args.test_images:.2f} test_trials_per_batch="
          f"{trials[0] / ((args.test_images + args.batch - 1) // args.batch):.1f} test_loss={total / args.test_images:.4f} "
          f"matmul_gflops={matmul_gflops:.1f} torch={torch.__version__}")


if __name__ == "__main__":
    main()
