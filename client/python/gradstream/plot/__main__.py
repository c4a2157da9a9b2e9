"""python3 -m gradstream.plot compare JOB_ID... -o out.png: the compare figure of jobs.

The figure is gradstream.plot.compare's, drawn from each job's history on the
server. `gradstream compare SPEC --activations ... --plot out.png` runs this
after printing its table, so the CLI and Python draw the same picture.

The connection is the Client's: --server (default GRADSTREAM_SERVER), --tls,
--timeout, and the token and TLS files from GRADSTREAM_TOKEN and
GRADSTREAM_TLS_CA/_CERT/_KEY/_SERVER_NAME (the environment keeps the token out
of the process list).

Exit codes, as the CLI's: 0 drawn; the gRPC status code (1..16) of a failed
call; 64 a bad command line; 73 the PNG could not be written; 70 anything else.
Nothing goes to stdout: the CLI's table owns it.
"""

import argparse
import sys

import gradstream
from gradstream.connection import DEFAULT_TIMEOUT_SECONDS
from gradstream.plot.compare import compare

EXIT_USAGE = 64  # sysexits.h EX_USAGE, as the CLI
EXIT_INTERNAL = 70  # EX_SOFTWARE
EXIT_CANNOT_WRITE = 73  # EX_CANTCREAT
PROGRAM = "python3 -m gradstream.plot"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 64 as the CLI's do (argparse's own is 2)."""

    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _parser():
    parser = _Parser(prog=PROGRAM, description="gradstream's figures of finished jobs, as PNG")
    parser.add_argument("--server", help="host:port (default: $GRADSTREAM_SERVER, else "
                                         "localhost:50051)")
    parser.add_argument("--tls", action="store_true",
                        help="TLS, the server verified against the system's roots")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS,
                        help="seconds for each call")
    figures = parser.add_subparsers(dest="figure", required=True, parser_class=_Parser)
    comparison = figures.add_parser(
        "compare", help="jobs differing in activation side by side (gradstream.plot.compare)")
    comparison.add_argument("job_ids", nargs="+", metavar="JOB_ID")
    comparison.add_argument("-o", "--output", required=True, help="the PNG to write")
    comparison.add_argument("--label", action="append", dest="labels", metavar="NAME",
                            help="a job's name in the figure, once per job in order "
                                 "(default: the activations it reported)")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.job_ids):
        print(f"{PROGRAM}: --label: {len(args.labels)} given for {len(args.job_ids)} jobs",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        with gradstream.Client(args.server, tls=args.tls, timeout=args.timeout) as client:
            compare(args.job_ids, args.output, client=client, labels=args.labels)
    except gradstream.GradstreamError as error:
        print(f"gradstream: {error}", file=sys.stderr)
        return error.code.value[0] or EXIT_INTERNAL
    except OSError as error:
        print(f"gradstream: {args.output}: cannot write the figure: {error.strerror or error}",
              file=sys.stderr)
        return EXIT_CANNOT_WRITE
    except Exception as error:  # noqa: BLE001 - a traceback would say less than this line
        print(f"gradstream: drawing {args.output} failed: {type(error).__name__}: {error}",
              file=sys.stderr)
        return EXIT_INTERNAL
    print(f"gradstream: wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
