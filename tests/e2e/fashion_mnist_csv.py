"""Writes the first COUNT Fashion-MNIST samples as CSV of raw 0-255 pixels.

usage: fashion_mnist_csv.py IMAGES.gz LABELS.gz COUNT OUT.csv [--no-labels]
With labels, each line is "label,p0,...,p783" (for gradstream upload
--label-column 0); with --no-labels only the pixels (for gradstream predict).
"""
import gzip
import struct
import sys


def main():
    images, labels, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with_labels = "--no-labels" not in sys.argv[5:]
    with gzip.open(images, "rb") as f:
        _, n, rows, cols = struct.unpack(">IIII", f.read(16))
        size = rows * cols
        pixels = f.read(size * min(count, n))
    with gzip.open(labels, "rb") as f:
        f.read(8)
        names = f.read(min(count, n))
    with open(out, "w") as f:
        for i in range(min(count, n)):
            row = ",".join(str(p) for p in pixels[i * size:(i + 1) * size])
            f.write((f"{names[i]}," if with_labels else "") + row + "\n")


if __name__ == "__main__":
    main()
