"""Command line: ``python -m brickwork info``."""
import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["info"]:
        print("usage: python -m brickwork info", file=sys.stderr)
        return 2
    from brickwork.info import report
    print(report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
