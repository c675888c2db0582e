#!/usr/bin/env python3
"""Execute one notebook headlessly with nbclient and report the real error of a failing cell.

Why not `jupyter nbconvert --execute`: it reports a failing tslab cell as an empty `<Error>:` (tslab sends
ename/evalue empty and writes the message to stderr), and `--allow-errors` exits 0. This driver runs cells
with allow_errors so the executed copy keeps every output up to the failure, then inspects the outputs
itself.

Cells are numbered from 0 over all cells (markdown included), as in the .ipynb file.

Usage: /usr/bin/python3 scripts/nbrun.py IN.ipynb OUT.ipynb [--cwd DIR] [--timeout S] [--kernel NAME]
Prints one JSON line on stdout: {"ok": bool, "cells": n, "seconds": s, "failed_cell": i, "error": "..."}.
Exit status: 0 ok, 1 a cell failed, 2 the notebook could not be run (missing kernel, dead kernel, bad file).
"""
import argparse
import json
import os
import sys
import time

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
except ImportError as e:  # the first python3 on PATH may not be Debian's
    print(json.dumps({"ok": False, "error": f"{e}: run with /usr/bin/python3 after scripts/install-apt.sh"}))
    sys.exit(2)


def cell_error_text(cell):
    """The real message of a failed cell: error outputs (name, value, traceback) plus stderr streams."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            head = f"{out.get('ename', '')}: {out.get('evalue', '')}".strip()
            if head and head != ":":
                parts.append(head)
            tb = "\n".join(out.get("traceback", []) or [])
            if tb.strip() and tb.strip() not in head:
                parts.append(tb)
        elif out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(out.get("text", ""))
    return "\n".join(p.rstrip() for p in parts if p.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--cwd", default=os.getcwd(), help="kernel working folder (the project root for tslab)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell; <= 0 means none")
    ap.add_argument("--kernel", default=None, help="kernel name; default: the notebook's own kernelspec")
    args = ap.parse_args()

    t0 = time.time()
    try:
        nb = nbformat.read(args.input, as_version=4)
    except Exception as e:
        print(json.dumps({"ok": False, "error": f"{args.input}: cannot read notebook: {e}"}))
        return 2

    kernel = args.kernel or nb.metadata.get("kernelspec", {}).get("name") or "tslab"
    client = NotebookClient(
        nb,
        timeout=None if args.timeout <= 0 else args.timeout,  # nbclient wants an int
        kernel_name=kernel,
        # A failing cell raises CellExecutionError after its outputs are recorded (cells tagged
        # "raises-exception" may fail on purpose). tslab's error reply carries no message, so we read the
        # cell's stderr ourselves.
        allow_errors=False,
        resources={"metadata": {"path": args.cwd}},
    )

    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    result = {"ok": True, "cells": len(code_cells), "kernel": kernel}
    try:
        with client.setup_kernel():
            for i in code_cells:
                cell = nb.cells[i]
                try:
                    client.execute_cell(cell, i)
                except CellExecutionError as e:
                    text = cell_error_text(cell) or str(e) or "(the kernel reported an error without a message)"
                    result.update(ok=False, failed_cell=i, error=text, source=cell.source)
                    break
                except Exception as e:  # timeout, dead kernel
                    result.update(ok=False, failed_cell=i, error=f"{type(e).__name__}: {e}",
                                  source=cell.source)
                    break
    except Exception as e:  # kernel could not start
        result.update(ok=False, error=f"{type(e).__name__}: {e}", fatal=True)

    result["seconds"] = round(time.time() - t0, 2)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    nbformat.write(nb, args.output)
    print(json.dumps(result))
    if result["ok"]:
        return 0
    return 2 if result.get("fatal") else 1


if __name__ == "__main__":
    sys.exit(main())
