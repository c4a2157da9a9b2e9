#!/usr/bin/python3
"""PyTorch peer for gradstream-bench: trains the network of a gradstream JSON spec
with stock PyTorch (the nn.Sequential torch_model.py builds from the spec: nn.Linear,
nn.Conv2d, pooling, batch norm...; CrossEntropyLoss, torch.optim) on the same data and
hyper-parameters, and prints as its LAST line one JSON object with the keys of
gradstream-bench (samples_per_s, epoch_seconds, test_accuracy, epochs, threads, batch)
plus "peer", "blas", and the OpenBLAS kernel set it ran with: "openblas_coretype"
(with "coretype_calibration", the calibration's us/step per candidate, when it
calibrated).

Run it with Debian's interpreter (python3-torch 1.13 from apt), not a pyenv python:
    /usr/bin/python3 bench/peers/torch_mlp.py examples/fashion-mnist-mlp.json \
        --epochs 3 --threads 2 --batch 128
scripts/bench-peers.sh runs it right after gradstream-bench.

OpenBLAS kernel set (OPENBLAS_CORETYPE, read by OpenBLAS once, when torch loads it):
  --coretype calibrate  (default) time one training step under each kernel set this
      CPU can run (openblas_coretype.py: Haswell, SkylakeX, Zen, Cooperlake, by the
      /proc/cpuinfo flags), each in a worker process of its own (this script with
      --time-steps), in alternating passes; train with the fastest (by its
      fastest pass: other work only slows a pass down).
  --coretype NAME       use NAME, no calibration (e.g. the winner of a calibration
      run earlier: bench-peers.sh calibrates once and passes it to every round).
  --coretype auto       leave OPENBLAS_CORETYPE unset: OpenBLAS's own detection.
  --coretype env        take OPENBLAS_CORETYPE from the environment as it is.
  --calibrate-only      calibrate, print {"openblas_coretype": WINNER,
      "coretype_calibration": {...}} and exit.
  OPENBLAS_CORETYPE in the environment is ignored unless --coretype env: a machine
  may set it for reasons of its own, and it is no choice made for this benchmark.

How it is made as fast as it fairly can be (Debian 12, torch 1.13.1+dfsg,
OpenBLAS 0.3.21, a 2-vCPU AMD EPYC KVM guest):
  * BLAS: Debian's torch calls sgemm_ through libblas.so.3; that must be the
    OpenMP build of OpenBLAS (libopenblas0-openmp, then
    `update-alternatives --display libblas.so.3-x86_64-linux-gnu` points at
    .../openblas-openmp/libblas.so.3). With the reference libblas3 instead the
    peer is several times slower (see figures below); the script refuses to run on
    reference BLAS unless --allow-reference-blas is given.
  * OPENBLAS_CORETYPE is calibrated (above); OMP_NUM_THREADS is set to --threads
    unless the caller set it, both before torch (and so OpenBLAS) is loaded.
    On the Zen 3 host OpenBLAS 0.3.21 detected "Zen", ~15% slower there than
    "Haswell"; on the Zen 4 host it detects "Cooperlake", and the four candidates
    are within a few per cent of each other (figures at the end).
  * nn.Linear for fp32 on CPU goes F.linear -> aten::addmm/mm -> BLAS sgemm in 1.13,
    forward and backward (the profiler shows addmm/mm, DNNL_VERBOSE shows no oneDNN
    primitive, while a Conv2d does use oneDNN). torch.utils.mkldnn.to_mkldnn() is
    inference-only, and the torch.backends.mkldnn flags made no measurable
    difference, so the peer is stock nn.Linear on OpenBLAS.
  * nn.Conv2d runs on oneDNN (aten::mkldnn_convolution and convolution_backward; Debian's
    torch links the system libdnnl.so.2, the oneDNN 2.6.3 gradstream runs). A model
    with [C, H, W] stages is trained in channels_last (--memory-format; the model's
    weights and the input images): oneDNN then computes on NHWC tensors as they are,
    where with NCHW ones it reorders every activation to its blocked layout and back
    around each convolution (DNNL_VERBOSE: ~5.8 ms of reorders a step). The
    fully connected layers are on OpenBLAS either way.
  * Adam runs with foreach=True (multi-tensor; a documented torch.optim argument,
    though 1.13 defaults to the per-tensor loop on CPU): ~3% faster per step.
    --foreach auto gives torch's default.
  * The data pipeline is one randperm + index_select of the whole training set per
    epoch into buffers allocated once (inside the timed region: shuffling is part of
    an epoch, ~25 ms), then contiguous slice views per batch: no DataLoader, no
    per-batch copies. The last, partial batch (60000 = 468*128 + 96) is trained too.
    The rows are reshaped to the spec's inputShape (and channels_last) once, before
    the epochs.

Figures measured when this VM ran on a Zen 3 host (AVX2, no AVX-512) (samples/s,
median of 3 epochs, threads 2, batch 128, fashion-mnist-mlp.json):
  This VM's speed drifts by +-15-25% from minute to minute (the same step took 2.0 ms
  at one time and 3.0 ms at another), so whole runs could not separate the variants;
  the decisions rest on interleaved micro-benchmarks (same process or alternating
  processes), listed after the whole-run figures. Only runs on an otherwise idle
  machine are listed (runs next to a compiler were 10-30x slower: libgomp's
  spin-waiting collapses when the 2 cores are shared).
  whole runs, torch_mlp.py, three repeats each (interleaved):
    OPENBLAS_CORETYPE unset (OpenBLAS detects "Zen")  42116 39728 38193 | 39492 43447 56991
    OPENBLAS_CORETYPE=Haswell                         46620 42504 41936 | 40631 42141 37649
    OPENBLAS_CORETYPE=Zen                             42239 33926 48478 | 35429 41872 39817
    Haswell, Adam foreach off (1.13's CPU default)    37163 43855 38712 | 42063 46655 41830
    Zen, Adam foreach off                             35847 39104 38123
    Haswell, torch.backends.mkldnn.enabled=False      37364 40226 45290
    Haswell, --threads 1                              31979
    reference libblas3 instead of OpenBLAS            ~2500 (24 s an epoch; measured on a busy machine)
  micro-benchmarks (interleaved):
    the 7 sgemm shapes of one step, 2 threads, 8 alternating process pairs: Haswell
      faster in 7 of 8, median sum 1290 us vs 1505 us for Zen -> Haswell wins
    one training step (fwd+bwd+Adam), 5 alternating process pairs: Haswell 2208 us
      vs Zen 2926 us median (Haswell faster in 4, 1 tie)
    Adam foreach=True vs False, same process: 3506 vs 3616, 2720 vs 2826 us/step
      -> foreach on (~3%), a documented torch.optim option, kept as the default
    torch.backends.mkldnn.enabled on/off: 2581/3028 vs 2894/2789 us/step: no effect
      (DNNL_VERBOSE shows no oneDNN primitive for nn.Linear, forward or backward)
    OMP_WAIT_POLICY: unset 2635-2729, ACTIVE 3029-3126, PASSIVE 4452-8371 us/step -> unset
    per-epoch shuffle: index_select into a new tensor 98-128 ms, into a kept buffer 26 ms
  15 epochs (the spec as is): test accuracy 0.8893, 42975 samples/s (epochs 1.13-1.65 s).

Kernel sets on the Zen 4 host (AVX-512 with BF16, so all four candidates run), idle
machine, threads 2, batch 128:
  calibration (--calibrate-only; us/step, fastest of 10 passes of 20 steps), 13 runs
  within 15 minutes: Cooperlake won 6, Haswell 4, SkylakeX 2, Zen 1; in each run
  the four lay within 1-10%, e.g. Haswell 1378 SkylakeX 1435 Zen 1389 Cooperlake
  1349; Haswell 1482 SkylakeX 1337 Zen 1407 Cooperlake 1410; Haswell 1400
  SkylakeX 1355 Zen 1397 Cooperlake 1373. The whole-run view agrees: 3 epochs,
  SkylakeX and Cooperlake alternating, 4 pairs: 84363/89037, 90788/88668,
  86654/77795, 69835/62615 samples/s (SkylakeX ahead in 3 of 4, the drift larger
  than the gap). No set is reliably fastest here; calibrating on every machine
  costs ~5 s and keeps the peer off a clearly slower one where one exists (Zen 3).

The CNN (fashion-mnist-cnn.json: conv 32 + relu, max pool, conv 64 + relu, max pool,
dense 128, dense 10) on the Zen 4 host, threads 2, batch 128, the machine otherwise
idle (other work ran before these, not during):
  micro-benchmarks, the same process, blocks of 25 steps alternating, ms/step:
    channels_last vs contiguous (NCHW), two runs of 300 steps each: median 34.4 vs
      40.8, and 36.5 vs 41.8; channels_last faster in 23 of 24 block pairs -> default
    torch.backends.mkldnn.enabled=False (im2col + OpenBLAS sgemm), 60 steps each:
      contiguous 53.6, channels_last 49.2, against 35.5 with oneDNN -> left on
    ATEN_CPU_CAPABILITY=avx512 (1.13 runs its own kernels, relu, pooling, Adam, as
      AVX2 on this CPU), 4 alternating process pairs of 100 steps: 37.0 40.6 41.4 37.4
      vs 40.1 35.3 37.5 40.7 with the default: no effect -> not set
  where a step goes (torch.profiler, 20 steps, channels_last): convolution backward
    36%, forward 18%, relu forward and backward 14%, max pooling 8%, copies 8%, the
    dense layers' mm/addmm (OpenBLAS) 6%. So the kernel set hardly matters here, and
    the calibration's winner is whichever pass was least disturbed: Haswell 37.7 ms
    SkylakeX 38.3 Zen 46.1 Cooperlake 45.9 in one run, Haswell 45.5 SkylakeX 45.6
    Zen 46.2 Cooperlake 40.0 four minutes later (~10 s a calibration).
  whole runs, 1 epoch, contiguous / channels_last alternating (Haswell): 2948 / 2790,
    2428 / 3289 samples/s: the drift is larger than the gap; test accuracy 0.8697 /
    0.8683 (the same network; the two layouts round differently).
  1 epoch as bench-peers.sh runs it (calibrated: Haswell): 2914 samples/s (20.6 s),
    test accuracy 0.8683.
"""

import argparse
import gzip
import itertools
import json
import math
import os
import statistics
import struct
import sys
import time

import openblas_coretype

# A calibration worker's timing (see serve_step_timings): before each pass it warms up
# (the other workers ran in between) for this long, then times about this long of
# steps, at most CALIBRATION_STEPS of them: 3 + 20 steps of ~1.5 ms for the MLP
# example, 1 + 2 or 3 of 35-45 ms for the CNN one. Short passes let some of each candidate's
# fall between other work's bursts; the step time comes from the first steps.
CALIBRATION_WARMUP_SECONDS = 0.005
CALIBRATION_PASS_SECONDS = 0.1
CALIBRATION_STEPS = 20
CALIBRATION_SIZING_STEPS = 3
# Distinct random batches a worker cycles through (51 MB at 128 x 784 floats): more
# than the caches hold, so each batch comes from memory as in training.
CALIBRATION_BATCHES = 128


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("spec", nargs="?", default="examples/fashion-mnist-mlp.json")
    p.add_argument("--epochs", type=int)
    p.add_argument("--threads", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--data-dir", default=os.environ.get(
        "GRADSTREAM_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    p.add_argument("--foreach", choices=["auto", "on", "off"], default="on",
                   help="torch.optim multi-tensor (foreach) implementation")
    p.add_argument("--mkldnn", choices=["default", "on", "off"], default="default",
                   help="torch.backends.mkldnn.enabled (nn.Conv2d's oneDNN; does not affect "
                        "fp32 nn.Linear)")
    p.add_argument("--memory-format", choices=["channels_last", "contiguous"],
                   default="channels_last",
                   help="layout of the model's images (conv weights, activations, inputs); "
                        "no effect on a model without [C, H, W] stages")
    p.add_argument("--allow-reference-blas", action="store_true",
                   help="run even when libblas.so.3 is not OpenBLAS")
    p.add_argument("--coretype", default="calibrate", metavar="NAME",
                   help="OpenBLAS kernel set: calibrate (default: the fastest here), "
                        "auto (OpenBLAS's own detection), env (OPENBLAS_CORETYPE as set), "
                        "or a name such as SkylakeX")
    p.add_argument("--calibrate-only", action="store_true",
                   help="calibrate, print the winner as one JSON line, and exit")
    # The calibration's worker (see openblas_coretype.py): one timing per line read.
    p.add_argument("--time-steps", type=int, help=argparse.SUPPRESS)
    p.add_argument("--quiet", action="store_true", help="only print the JSON line")
    args = p.parse_args(argv)
    if args.calibrate_only and args.coretype != "calibrate":
        p.error("--calibrate-only calibrates; it takes no --coretype")
    if args.time_steps is not None and (args.time_steps < 1 or args.coretype == "calibrate"):
        p.error("--time-steps N (N >= 1) times one kernel set: --coretype NAME or env")
    return args


args = parse_args(sys.argv[1:])
with open(args.spec) as f:
    spec = json.load(f)

epochs = args.epochs if args.epochs is not None else int(spec.get("epochs", 1))
threads = args.threads if args.threads is not None else int(spec.get("threads", 1))
batch = args.batch if args.batch is not None else int(spec.get("batchSize", spec.get("batch_size", 32)))
seed = args.seed if args.seed is not None else int(spec.get("seed", 0))
if epochs < 1 or threads < 1 or batch < 1:
    sys.exit("torch_mlp: epochs, threads and batch must be >= 1")


def log(*a):
    if not args.quiet:
        print(*a, flush=True)


def worker_command():
    """This script as a calibration worker on the same spec and settings."""
    cmd = [sys.executable, os.path.abspath(__file__), os.path.abspath(args.spec),
           "--epochs", str(epochs), "--threads", str(threads), "--batch", str(batch),
           "--seed", str(seed), "--data-dir", args.data_dir, "--foreach", args.foreach,
           "--mkldnn", args.mkldnn, "--memory-format", args.memory_format, "--coretype", "env",
           "--time-steps", str(CALIBRATION_STEPS), "--quiet"]
    return cmd + (["--allow-reference-blas"] if args.allow_reference_blas else [])


# Must happen before torch is imported: OpenBLAS reads these when it is loaded (the
# calibration's workers inherit OMP_NUM_THREADS).
os.environ.setdefault("OMP_NUM_THREADS", str(threads))
coretype, calibration = openblas_coretype.choose(args.coretype, worker_command(),
                                                 lambda line: log("torch_mlp: " + line))
if args.calibrate_only:
    print(json.dumps({"openblas_coretype": coretype,
                      "coretype_calibration": calibration.us_per_step,
                      "coretype_skipped": calibration.skipped}), flush=True)
    sys.exit(0)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import torch_model  # noqa: E402


# ---------------------------------------------------------------- BLAS in use
def blas_info():
    """Which BLAS serves sgemm_ in this process: the libblas.so.3 that got mapped
    (Debian's alternatives: .../openblas-openmp/libblas.so.3 or the reference
    .../blas/libblas.so.3). libopenblas.so.0 may be mapped as well only because
    liblapack.so.3 pulls it in, so it alone proves nothing."""
    mapped = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[5].startswith("/"):
                mapped.add(fields[5])
    blas_libs = sorted(p for p in mapped if os.path.basename(p).startswith("libblas.so"))
    openblas_libs = sorted(p for p in mapped if os.path.basename(p).startswith("libopenblas"))
    info = {"libblas": blas_libs}
    if any(os.path.basename(p).startswith("libmkl") for p in mapped):
        info["name"] = "mkl"
    elif not blas_libs:
        info["name"] = "none"
    elif all("openblas" in p for p in blas_libs):
        info["name"] = "openblas"
    elif any("blis" in p for p in blas_libs):
        info["name"] = "blis"
    elif any("atlas" in p for p in blas_libs):
        info["name"] = "atlas"
    else:
        info["name"] = "reference"
    if info["name"] == "openblas" and openblas_libs:
        import ctypes
        lib = ctypes.CDLL(openblas_libs[0])
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        info["config"] = lib.openblas_get_config().decode()
        info["core"] = lib.openblas_get_corename().decode()
        info["openmp"] = "USE_OPENMP" in info["config"]
    return info


blas = blas_info()
if blas["name"] != "openblas" and not args.allow_reference_blas:
    sys.exit("torch_mlp: libblas.so.3 is %s (%s), not OpenBLAS; install libopenblas0-openmp "
             "(GRADSTREAM_WITH_PEERS=1 scripts/install-deps.sh) or pass --allow-reference-blas"
             % (blas["name"], ", ".join(blas["libblas"]) or "not loaded"))
if "config" in blas:
    blas_label = "OpenBLAS %s %s%s" % (blas["config"].split()[1], blas["core"],
                                       " openmp" if blas["openmp"] else "")
else:
    blas_label = blas["name"]

torch.set_num_threads(threads)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass  # already set (only possible once per process)
if args.mkldnn != "default":
    torch.backends.mkldnn.enabled = args.mkldnn == "on"
torch.manual_seed(seed)


# ---------------------------------------------------------------- data
IDX_HEADER_MAX = 4 + 4 * 255  # magic, then up to 255 big-endian dimensions


def idx_dims(raw, path):
    """(dims, data offset) from the start of an unsigned-byte IDX file."""
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    dtype_code = (magic >> 8) & 0xFF
    if dtype_code != 0x08:
        raise ValueError("%s: only unsigned-byte IDX files are supported" % path)
    return struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim]), 4 + 4 * ndim


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims, offset = idx_dims(raw, path)
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def split_path(prefix, kind):
    name = "%s-%s-idx%d-ubyte.gz" % (prefix, kind, 3 if kind == "images" else 1)
    return os.path.join(args.data_dir, name)


def load_split(prefix):
    x = read_idx(split_path(prefix, "images"))
    y = read_idx(split_path(prefix, "labels"))
    x = x.reshape(x.shape[0], -1).astype(np.float32)
    preprocess = str(spec.get("data", {}).get("preprocess", "SCALE")).upper()
    if preprocess == "SCALE":
        x /= np.float32(255.0)
    elif preprocess not in ("NONE", ""):
        raise ValueError("torch_mlp: unsupported preprocess %r" % preprocess)
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y.astype(np.int64))


builtin = spec.get("data", {}).get("builtin", "fashion-mnist")
if builtin not in ("fashion-mnist", "FASHION_MNIST"):
    sys.exit("torch_mlp: only the fashion-mnist builtin data set is supported, got %r" % builtin)
# The training set's shape from its header: the model and the calibration's workers
# need no more, so only a training run loads the data.
with gzip.open(split_path("train", "images"), "rb") as f:
    train_dims = idx_dims(f.read(IDX_HEADER_MAX), f.name)[0]
n = train_dims[0]
data_features = math.prod(train_dims[1:])


# ---------------------------------------------------------------- model
loss_name = str(spec.get("loss", "SOFTMAX_CROSS_ENTROPY")).upper()
if loss_name not in ("SOFTMAX_CROSS_ENTROPY", "CROSS_ENTROPY", "SPARSE_SOFTMAX_CROSS_ENTROPY"):
    sys.exit("torch_mlp: unsupported loss %r" % loss_name)
criterion = nn.CrossEntropyLoss()

try:
    built = torch_model.build(spec["model"], loss_name)
except torch_model.SpecError as e:
    sys.exit("torch_mlp: %s" % e)
input_shape = built.input_shape
if math.prod(input_shape) != data_features:
    sys.exit("torch_mlp: inputShape %s does not match the data (%d features)"
             % (list(input_shape), data_features))
model = built.model
# Channels-last pays only where a stage holds images (see the figures above).
memory_format = torch.contiguous_format
if args.memory_format == "channels_last" and torch_model.has_images(built):
    memory_format = torch.channels_last
    model = model.to(memory_format=memory_format)


def as_model_input(x):
    """Rows of data_features values as (N, *input_shape) samples in the model's layout."""
    x = x.reshape(x.shape[0], *input_shape)
    return x.contiguous(memory_format=memory_format) if x.dim() == 4 else x


opt_spec = spec.get("optimizer", {"adam": {}})
lr = float(opt_spec.get("learningRate", opt_spec.get("learning_rate", 1e-3)))
foreach = {"auto": None, "on": True, "off": False}[args.foreach]
# Weight decay sits on the optimizer spec, beside the learning rate, for every kind;
# gradstream applies it to dense and conv weights only (not to biases, batch norm's
# scale and shift or PReLU slopes), hence two parameter groups when it is on.
weight_decay = float(opt_spec.get("weightDecay", opt_spec.get("weight_decay", 0.0)))
trained = [p for p in model.parameters() if p.requires_grad]
if weight_decay > 0:
    decayed = {id(p) for p in built.decayed}
    trained = [{"params": [p for p in trained if id(p) in decayed]},
               {"params": [p for p in trained if id(p) not in decayed], "weight_decay": 0.0}]
if "adam" in opt_spec or "adamw" in opt_spec:
    key = "adam" if "adam" in opt_spec else "adamw"
    o = opt_spec[key] or {}
    kw = dict(lr=lr,
              betas=(float(o.get("beta1", 0.9)), float(o.get("beta2", 0.999))),
              eps=float(o.get("epsilon", o.get("eps", 1e-8))),
              foreach=foreach)
    if key == "adamw":
        optimizer = torch.optim.AdamW(trained, weight_decay=weight_decay, **kw)
    else:
        optimizer = torch.optim.Adam(trained, weight_decay=weight_decay, **kw)
elif "sgd" in opt_spec:
    o = opt_spec["sgd"] or {}
    optimizer = torch.optim.SGD(trained, lr=lr,
                                momentum=float(o.get("momentum", 0.0)),
                                nesterov=bool(o.get("nesterov", False)),
                                weight_decay=weight_decay,
                                foreach=foreach)
else:
    sys.exit("torch_mlp: unsupported optimizer %s" % json.dumps(opt_spec))

# The learning-rate schedule, the same closed form gradstream's LrSchedule uses
# (engine/lr_schedule.hpp), as a LambdaLR factor of the 0-based global step.
steps_per_epoch = (n + batch - 1) // batch
total_steps = steps_per_epoch * epochs
schedule = opt_spec.get("schedule", {}) or {}
warmup = int(schedule.get("warmupSteps", schedule.get("warmup_steps", 0)))


def lr_factor(step):
    epoch_index = step // steps_per_epoch
    if "cosine" in schedule:
        c = schedule["cosine"] or {}
        floor = float(c.get("minLearningRate", c.get("min_learning_rate", 0.0))) / lr
        t = min(step, total_steps) / max(total_steps, 1)
        factor = floor + (1.0 - floor) * (1.0 + math.cos(math.pi * t)) / 2.0
    elif "step" in schedule:
        st = schedule["step"] or {}
        every = max(int(st.get("everyEpochs", st.get("every_epochs", 1))), 1)
        factor = float(st.get("gamma", 1.0)) ** (epoch_index // every)
    elif "exponential" in schedule:
        factor = float((schedule["exponential"] or {}).get("gamma", 1.0)) ** epoch_index
    else:
        factor = 1.0
    if step < warmup:
        factor *= (step + 1) / warmup
    return factor


scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)


def train_step(xb, yb):
    optimizer.zero_grad(set_to_none=True)
    loss = criterion(model(xb), yb)
    loss.backward()
    optimizer.step()
    scheduler.step()
    return loss.detach()


def serve_step_timings(max_steps):
    """--time-steps: the calibration's worker (protocol in openblas_coretype.py). It
    trains on random batches of the data's shape: a step's cost does not depend on
    the values, and loading the data set would slow every worker's start. A pass
    warms up for ~CALIBRATION_WARMUP_SECONDS and times ~CALIBRATION_PASS_SECONDS of
    steps (at least one each, at most max_steps timed), by the step time of its
    first steps: 3 + 20 steps of the MLP example, 1 + 2 or 3 of the CNN one."""
    gen = torch.Generator().manual_seed(seed)
    xs = as_model_input(torch.rand(CALIBRATION_BATCHES * batch, data_features, generator=gen))
    ys = torch.randint(0, built.output_shape[0], (CALIBRATION_BATCHES * batch,), generator=gen)
    batches = itertools.cycle(range(0, CALIBRATION_BATCHES * batch, batch))

    def train(count):
        t0 = time.perf_counter()
        for start in itertools.islice(batches, count):
            train_step(xs[start:start + batch], ys[start:start + batch])
        return (time.perf_counter() - t0) / count

    model.train()
    train(1)  # builds the primitives and allocates: not a step's cost
    step_s = train(CALIBRATION_SIZING_STEPS)
    warmup = max(1, round(CALIBRATION_WARMUP_SECONDS / step_s))
    steps = max(1, min(max_steps, round(CALIBRATION_PASS_SECONDS / step_s)))
    print(json.dumps({"core": blas.get("core", blas["name"])}), flush=True)
    for _ in sys.stdin:
        train(warmup)
        us = train(steps) * 1e6
        print(json.dumps({"us_per_step": round(us, 1)}), flush=True)


if args.time_steps is not None:
    serve_step_timings(args.time_steps)
    sys.exit(0)

coretype_mode = args.coretype if args.coretype in ("calibrate", "auto", "env") else "forced"
log("torch_mlp: torch %s, %s, threads %d (omp %s), batch %d, epochs %d"
    % (torch.__version__, blas_label, torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS"),
       batch, epochs))
log("torch_mlp: OpenBLAS kernel: OPENBLAS_CORETYPE %s (--coretype %s), running %s"
    % (coretype, args.coretype, blas.get("core", "?")))
if coretype != "auto" and "core" in blas and blas["core"].lower() != coretype.lower():
    print("torch_mlp: warning: OpenBLAS does not know OPENBLAS_CORETYPE %s and runs %s"
          % (coretype, blas["core"]), file=sys.stderr, flush=True)
log("torch_mlp: %s" % model)
x_train, y_train = load_split("train")
x_test, y_test = load_split("t10k")
# Samples of the model's input shape and layout, once, before the timed epochs.
x_train, x_test = as_model_input(x_train), as_model_input(x_test)


# ---------------------------------------------------------------- train
gen = torch.Generator().manual_seed(seed)
# Shuffled copies are written into buffers allocated once, so that an epoch does not
# page-fault a fresh 188 MB tensor in (that alone cost ~0.1 s an epoch).
xs = torch.empty_like(x_train)
ys = torch.empty_like(y_train)
epoch_seconds = []
last_loss = float("nan")
model.train()
for epoch in range(epochs):
    t0 = time.perf_counter()
    perm = torch.randperm(n, generator=gen)
    torch.index_select(x_train, 0, perm, out=xs)
    torch.index_select(y_train, 0, perm, out=ys)
    loss_sum = torch.zeros(())
    for start in range(0, n, batch):
        xb = xs[start:start + batch]
        yb = ys[start:start + batch]
        loss_sum += train_step(xb, yb) * xb.shape[0]
    last_loss = loss_sum.item() / n  # the only sync point, once per epoch
    dt = time.perf_counter() - t0
    epoch_seconds.append(dt)
    log("torch_mlp: epoch %d/%d  %.3f s  %.0f samples/s  train loss %.4f"
        % (epoch + 1, epochs, dt, n / dt, last_loss))


# ---------------------------------------------------------------- evaluate
model.eval()
correct = 0
with torch.no_grad():
    for start in range(0, x_test.shape[0], 1000):
        pred = model(x_test[start:start + 1000]).argmax(dim=1)
        correct += int((pred == y_test[start:start + 1000]).sum())
test_accuracy = correct / x_test.shape[0]

def debian_version(package):
    try:
        import subprocess
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True,
                              text=True, check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


median_seconds = statistics.median(epoch_seconds)
result = {
    "peer": "pytorch-%s" % torch.__version__,
    "blas": blas_label,
    "torch_package": debian_version("python3-torch"),  # Debian's 1.13.1 reports 1.13.0a0
    "samples_per_s": round(n / median_seconds, 1),
    "epoch_seconds": [round(s, 4) for s in epoch_seconds],
    "test_accuracy": round(test_accuracy, 4),
    "train_loss": round(last_loss, 4),
    "epochs": epochs,
    "threads": threads,
    "batch": batch,
    "train_samples": n,
    "openblas_coretype": coretype,
    "openblas_core": blas.get("core"),
    "coretype_mode": coretype_mode,
    "coretype_calibration": calibration.us_per_step,
    "coretype_skipped": calibration.skipped,
    "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    "foreach": args.foreach,
    "mkldnn_enabled": torch.backends.mkldnn.enabled,
    "memory_format": "channels_last" if memory_format == torch.channels_last else "contiguous",
}
print(json.dumps(result), flush=True)
