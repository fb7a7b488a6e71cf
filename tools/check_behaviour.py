"""Record short fixed-seed training runs of every method, or check that they are unchanged.

A refactor that must not change what training computes (the method registry, say) is checked
bit for bit on one machine: record before, compare after.

    python tools/check_behaviour.py --record=/tmp/behaviour-before   # on the old code
    python tools/check_behaviour.py --record=/tmp/behaviour-after    # on the new code
    python tools/check_behaviour.py --before=/tmp/behaviour-before --after=/tmp/behaviour-after

Each run goes through `tools/train.py` as a user runs it (a subprocess): the quickstart (16
steps), the quickstart with ADA, GGDR, MixDL (the demo's flags, 16 steps), CDC adapted from the
quickstart run, StyleGAN-NADA (4 iterations, a random tiny CLIP preset made here, the
quickstart's generator as source), StarGAN v2 (the demo's flags, 4 iterations), and a resume of
the quickstart run. For each, `record` keeps `stats.jsonl` without its timing and memory fields,
`training_options.json`, and every variable of the final checkpoint (weights, optimizer slots,
counters) in `weights.npz`. `--before/--after` requires identical stats, identical variable names
and bit-identical values; it prints every difference and exits 1 on any.

Results are bit-identical only on the same machine with the same thread counts (float sums
depend on both), which is why this is a script and not a test.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail

REPO = pathlib.Path(__file__).resolve().parent.parent
TRAIN = str(REPO / "tools" / "train.py")
QUICK = ["--flagfile=quickstart.flags", "--kimg=0.256", "--tick=0.064"]  # 16 steps of 16
FEWSHOT = ["--data=builtin:shapes", "--max_images=10", "--cfg=auto", "--cbase=1024",
           "--cmax=64", "--batch=4", "--gamma=1", "--aug=noaug", "--kimg=0.064",
           "--tick=0.016"]  # 16 steps of 4
VOLATILE = ("Timing/", "Resources/", "timestamp", "sec_per_kimg")

FLAGS = flags.FLAGS
flags.DEFINE_string("record", None, "New directory: run every method there and keep its stats "
                    "and final variables under records/.")
flags.DEFINE_string("before", None, "A --record directory made before the change.")
flags.DEFINE_string("after", None, "A --record directory made after it: every stat and every "
                    "variable must equal --before's, bit for bit.")


def runs(out):
    """[(name, train.py arguments)]; later runs read earlier runs' directories."""
    quick = out / "runs" / "quickstart"
    clip = out / "tiny_clip"
    return [
        ("quickstart", QUICK),
        ("ada", QUICK + ["--aug=ada", "--p=0.1", "--ada_kimg=1", "--augpipe=bgc"]),
        ("ggdr", QUICK + ["--reg_type=ggdr", "--ggdr_res=8"]),
        ("mixdl_demo", ["--flagfile=mixdl_demo.flags", "--kimg=0.064", "--tick=0.016"]),
        ("cdc_from_quickstart", ["--method=cdc", f"--init_from={quick}"] + FEWSHOT),
        ("nada_tiny_clip", ["--method=nada", f"--network={quick}", f"--clip_models={clip}",
                  "--source_class=photo", "--target_class=sketch", "--iter=4", "--batch=2",
                  "--output_interval=1", "--snap=2", "--auto_layer_k=2",
                  "--lambda_global=0.5"]),
        ("stargan_v2_demo", ["--flagfile=stargan_v2_demo.flags", "--iter=4", "--output_interval=1",
                        "--snap=2"]),
        ("resume", [f"--resume={quick}", "--kimg=0.384"]),
    ]


def _env():
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
            "PYTHONHASHSEED": "0"}


def _train(name, args, out):
    """Runs train.py into out/runs/<name> (a resume continues the quickstart's directory)."""
    runs_dir = out / "runs"
    if name == "resume":
        run_dir = runs_dir / "quickstart"
        argv = args
    else:
        scratch = runs_dir / f".{name}"
        argv = args + [f"--outdir={scratch}"]
    start = time.time()
    proc = subprocess.run([sys.executable, TRAIN] + argv, cwd=REPO, env=_env(),
                          capture_output=True, text=True)
    (out / "logs").mkdir(exist_ok=True)
    (out / "logs" / f"{name}.txt").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        fail(f"{name}: train.py failed ({proc.returncode}); see {out}/logs/{name}.txt:\n"
             + proc.stderr[-2000:])
    if name != "resume":
        (made,) = [p for p in scratch.iterdir() if p.is_dir()]
        run_dir = runs_dir / name
        shutil.move(str(made), run_dir)
        scratch.rmdir()
    print(f"{name}: {time.time() - start:.0f} s -> {run_dir}", flush=True)
    return run_dir


def _stable_stats(path):
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rows.append({k: v for k, v in row.items() if not k.startswith(VOLATILE)})
    return rows


def _save_record(name, run_dir, out):
    import numpy as np  # noqa: PLC0415 (--help without TensorFlow)
    import tensorflow as tf  # noqa: PLC0415

    ckpt = run_dir / "checkpoints"
    latest = (ckpt / "latest").read_text(encoding="utf-8").strip()
    reader = tf.train.load_checkpoint(str(ckpt / latest / "state"))
    weights = {key: reader.get_tensor(key) for key in sorted(reader.get_variable_to_shape_map())
               if not key.startswith("_CHECKPOINTABLE_OBJECT_GRAPH")}
    record = out / "records" / name
    record.mkdir(parents=True, exist_ok=True)
    np.savez(record / "weights.npz", **{k.replace("/", "|"): np.asarray(v)
                                        for k, v in weights.items()})
    stats = _stable_stats(run_dir / "stats.jsonl")
    (record / "stats.json").write_text(json.dumps(stats, indent=1, sort_keys=True),
                                       encoding="utf-8")
    shutil.copy(run_dir / "training_options.json", record / "training_options.json")


def record(out):
    out = pathlib.Path(out).resolve()
    if out.exists():
        fail(f"--record={out} exists; record into a new directory")
    (out / "runs").mkdir(parents=True)
    from tfgan_fs.clip.random_clip import save_random_clip_preset  # noqa: PLC0415
    save_random_clip_preset(out / "tiny_clip", "tiny", 0)
    for name, args in runs(out):
        run_dir = _train(name, args, out)
        _save_record(name, run_dir, out)
    print(f"Recorded {len(runs(out))} runs in {out}/records")


def compare(before, after):
    import numpy as np  # noqa: PLC0415

    before, after = pathlib.Path(before) / "records", pathlib.Path(after) / "records"
    problems = []
    for name in sorted(p.name for p in before.iterdir()):
        a, b = before / name, after / name
        if not b.exists():
            problems.append(f"{name}: not recorded in {after}")
            continue
        sa = json.loads((a / "stats.json").read_text())
        sb = json.loads((b / "stats.json").read_text())
        if sa != sb:
            for i, (ra, rb) in enumerate(zip(sa, sb)):
                for key in sorted(set(ra) | set(rb)):
                    if ra.get(key) != rb.get(key):
                        problems.append(f"{name}: stats row {i} {key}: {ra.get(key)} -> "
                                        f"{rb.get(key)}")
            if len(sa) != len(sb):
                problems.append(f"{name}: {len(sa)} stats rows -> {len(sb)}")
        wa, wb = np.load(a / "weights.npz"), np.load(b / "weights.npz")
        for key in sorted(set(wa.files) ^ set(wb.files)):
            where = "only before" if key in wa.files else "only after"
            problems.append(f"{name}: variable {key.replace('|', '/')} {where}")
        same = 0
        for key in sorted(set(wa.files) & set(wb.files)):
            x, y = wa[key], wb[key]
            if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
                diff = (np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)))
                        if x.shape == y.shape and x.dtype.kind in "fiu" else "shape/dtype")
                problems.append(f"{name}: variable {key.replace('|', '/')} differs (max |d| "
                                f"{diff})")
            else:
                same += 1
        print(f"{name}: {len(sa)} stats rows, {same} identical variables")
    if problems:
        print(f"{len(problems)} difference(s):")
        print("\n".join("  " + p for p in problems[:200]))
        sys.exit(1)
    print("Identical: every stat and every variable, bit for bit.")


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}")
    if FLAGS.record and not (FLAGS.before or FLAGS.after):
        record(FLAGS.record)
    elif FLAGS.before and FLAGS.after and not FLAGS.record:
        compare(FLAGS.before, FLAGS.after)
    else:
        fail("give --record=DIR, or --before=DIR --after=DIR")


if __name__ == "__main__":
    app.run(main)
