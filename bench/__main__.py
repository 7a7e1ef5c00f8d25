"""python -m bench [--quick] [--only NAME ...] [--device DEV] [--out DIR]

Runs the benchmark families (copy first: its bandwidth is the device limit the others divide
by), prints a markdown table and writes results.json / results.md under
bench/results/<device>-<date>/ (a ``-quick`` suffix for --quick runs, which git ignores).
--quick uses tiny sizes and also completes on cpu, where kernels run in Triton's interpreter."""
import argparse
import importlib

from .harness import Harness

FAMILIES = ("copy", "matmul", "launch_overhead", "elementwise", "reduce", "cross_entropy", "softmax", "activation", "linear", "dropout", "embedding", "norm", "conv", "pool", "vision", "optim", "margin_loss")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    p.add_argument("--quick", action="store_true", help="tiny sizes (works on the interpreter)")
    p.add_argument("--only", action="append", choices=FAMILIES, help="run only this family (repeatable)")
    p.add_argument("--device", default=None, help="cpu or cuda[:i] (default: cuda when available)")
    p.add_argument("--out", default=None, help="results directory (default bench/results/<device>-<date>)")
    args = p.parse_args(argv)
    h = Harness(args.device, quick=args.quick)
    for name in FAMILIES:
        if args.only and name not in args.only:
            continue
        print(f"[bench] {name} on {h.device} ...", flush=True)
        importlib.import_module(f".{name}", __package__).run(h)
    out = h.write(args.out)
    print(h.markdown())
    print(f"[bench] wrote {out}")


if __name__ == "__main__":
    main()
