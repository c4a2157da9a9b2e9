#!/usr/bin/python3
"""Summarises scripts/bench-peers.sh: reads the logs of gradstream-bench and of
the peer, one pair per round, and prints a table, each round's ratio and, as
the last line, one JSON object whose "ratio" is the median of the per-round
ratios (gradstream samples/s over the peer's, > 1: gradstream is faster).

Rounds alternate which of the two runs first, and each round's ratio comes from
two runs seconds apart: on a machine whose speed drifts from minute to minute,
the spread of the per-round ratios shows how far one figure can be trusted.

usage: summarize.py --threads N --batch N --epochs N --cpu NAME --spec PATH [--busy]
                    [--calibration LOG] GRADSTREAM_LOG PEER_LOG [GRADSTREAM_LOG PEER_LOG ...]
  --busy: the machine was not idle before some run (the figures get a warning)
  --calibration: the log of the peer's --calibrate-only run (its figures are kept)

It also gives the ratio of the two fastest epochs seen (each side's best epoch
over all rounds): a shared machine only ever slows a run down, so each side's
fastest epoch is its least disturbed one. When the machine's speed swings
within a round, that ratio is the steadier of the two.

Beside the figures it names what each side computed with: gradstream's ISA (the
"isa" of the "run" object in gradstream-bench's JSON, when there is one) and the
OpenBLAS kernel set the peer ran ("openblas_coretype" in its JSON).
"""
import argparse
import json
import statistics
import sys


def last_json(path, who, key="samples_per_s"):
    lines = [l.strip() for l in open(path, errors="replace") if l.strip()]
    if not lines:
        sys.exit("bench-peers: %s printed nothing (%s)" % (who, path))
    try:
        obj = json.loads(lines[-1])
    except ValueError:
        sys.exit("bench-peers: last line of %s is not JSON: %s" % (who, lines[-1][:200]))
    if not isinstance(obj, dict) or key not in obj:
        sys.exit("bench-peers: %s's last line has no %s: %s" % (who, key, lines[-1][:200]))
    return obj


def gradstream_isa(obj):
    run = obj.get("run")
    return run.get("isa") if isinstance(run, dict) else None


def distinct(values):
    """The one value all rounds share, else all of them (which should not happen)."""
    values = list(dict.fromkeys(values))
    return values[0] if len(values) == 1 else values


def median_epoch(obj):
    e = obj.get("epoch_seconds")
    if isinstance(e, list) and e:
        return statistics.median(float(x) for x in e)
    return float(e) if isinstance(e, (int, float)) else float("nan")


def fastest_epoch_rate(obj):
    """Samples/s of the run's fastest epoch (samples_per_s is over the median one)."""
    e = obj.get("epoch_seconds")
    rate = float(obj["samples_per_s"])
    if isinstance(e, list) and e and min(e) > 0:
        return rate * median_epoch(obj) / min(float(x) for x in e)
    return rate


def accuracy(obj):
    acc = obj.get("test_accuracy")
    return "-" if acc is None else "%.4f" % float(acc)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="summarize.py")
    for name in ("threads", "batch", "epochs"):
        parser.add_argument("--" + name, type=int, required=True)
    parser.add_argument("--cpu", required=True)
    parser.add_argument("--spec", required=True)
    parser.add_argument("--busy", action="store_true")
    parser.add_argument("--calibration")
    parser.add_argument("logs", nargs="+", help="gradstream and peer log of each round")
    args = parser.parse_args(argv)
    if len(args.logs) % 2:
        parser.error("logs come in pairs: gradstream's, then the peer's, per round")
    return args


def main(argv):
    options = parse_args(argv)
    logs = options.logs
    pairs = [(last_json(logs[i], "gradstream-bench"), last_json(logs[i + 1], "the peer"))
             for i in range(0, len(logs), 2)]
    peer = pairs[0][1].get("peer", "pytorch")
    isa = distinct(gradstream_isa(g) for g, _ in pairs)
    coretype = distinct(p.get("openblas_coretype") for _, p in pairs)
    calibration = (last_json(options.calibration, "the peer's calibration", "openblas_coretype")
                   if options.calibration else {})

    figures = ", ".join("%s %.0f" % kv for kv in
                        (calibration.get("coretype_calibration") or {}).items())
    print("gradstream ISA: %s; peer OpenBLAS kernel: %s%s"
          % (isa or "not reported", coretype or "not reported",
             " (calibrated, us/step: %s)" % figures if figures else ""))
    print("%-6s %-22s %12s %14s %9s" % ("round", "", "samples/s", "epoch s (med)", "test acc"))
    rounds = []
    for n, (g, p) in enumerate(pairs, 1):
        gs, ps = float(g["samples_per_s"]), float(p["samples_per_s"])
        ratio = gs / ps if ps > 0 else None
        rounds.append({"gradstream_samples_per_s": gs, "pytorch_samples_per_s": ps,
                       "ratio": None if ratio is None else round(ratio, 3)})
        print("%-6d %-22s %12.0f %14.3f %9s" % (n, "gradstream", gs, median_epoch(g), accuracy(g)))
        print("%-6s %-22s %12.0f %14.3f %9s   ratio %s"
              % ("", peer, ps, median_epoch(p), accuracy(p),
                 "n/a" if ratio is None else "%.2f" % ratio))

    ratios = [r["ratio"] for r in rounds if r["ratio"] is not None]
    median = statistics.median(ratios) if ratios else None
    g_median = statistics.median(r["gradstream_samples_per_s"] for r in rounds)
    p_median = statistics.median(r["pytorch_samples_per_s"] for r in rounds)
    spread = "" if len(ratios) < 2 else ", rounds %.2f-%.2f" % (min(ratios), max(ratios))
    print("ratio gradstream/pytorch: %s (median of %d round%s%s; %s epochs, %s threads, "
          "batch %s, %s; peer BLAS: %s)"
          % ("n/a" if median is None else "%.2f" % median, len(rounds),
             "" if len(rounds) == 1 else "s", spread, options.epochs, options.threads,
             options.batch, options.cpu, pairs[0][1].get("blas", "?")))
    g_best = max(fastest_epoch_rate(g) for g, _ in pairs)
    p_best = max(fastest_epoch_rate(p) for _, p in pairs)
    best_ratio = g_best / p_best if p_best > 0 else None
    print("fastest epochs: gradstream %.0f, %s %.0f samples/s, ratio %s"
          % (g_best, peer, p_best, "n/a" if best_ratio is None else "%.2f" % best_ratio))
    if options.busy:
        print("warning: the machine was busy before a run; do not trust these figures")

    last_g = pairs[-1][0]
    last_p = pairs[-1][1]
    print(json.dumps({
        "gradstream_samples_per_s": g_median,
        "pytorch_samples_per_s": p_median,
        "ratio": None if median is None else round(median, 3),
        "ratio_min": min(ratios) if ratios else None,
        "ratio_max": max(ratios) if ratios else None,
        "fastest": {"gradstream_samples_per_s": round(g_best, 1),
                    "pytorch_samples_per_s": round(p_best, 1),
                    "ratio": None if best_ratio is None else round(best_ratio, 3)},
        "rounds": rounds,
        "gradstream_test_accuracy": last_g.get("test_accuracy"),
        "pytorch_test_accuracy": last_p.get("test_accuracy"),
        "threads": options.threads,
        "batch": options.batch,
        "epochs": options.epochs,
        "cpu": options.cpu,
        "spec": options.spec,
        "peer": peer,
        "peer_blas": last_p.get("blas"),
        "peer_coretype": coretype,
        "peer_coretype_calibration": calibration.get("coretype_calibration"),
        "isa": isa,
        "quiet": not options.busy,
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
