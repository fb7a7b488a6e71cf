"""The gradient-accumulation plan of a run (`--batch_gpu`), as `--dry_run` and the start of
training print it: how each phase's step splits the batch (`training.step.make_phase_step`)."""

from tfgan_fs.training.step import accumulation_error


def _when(phase):
    if phase.interval == 1:
        return "every step"
    slots = ",".join(str(s) for s in phase.offsets)
    return f"slot {slots} of every {phase.interval} steps"


def batch_split(options):
    """One line: how the global batch splits into replicas and accumulation rounds."""
    rounds = options.accumulation_rounds
    text = (f"Batch {options.batch_size} = {options.num_replicas} replica(s) x {rounds} "
            f"accumulation round(s) x batch_gpu {options.batch_gpu}")
    return text + ("; each phase sums its rounds' gradients into one optimizer update"
                   if rounds > 1 else " (no accumulation)")


def accumulation_plan(method, options):
    """Lines of text: the batch's split, each phase's rounds, and the method's notes."""
    rounds = options.accumulation_rounds
    per_replica = options.batch_size // options.num_replicas
    lines = [batch_split(options)]
    for phase in method.phases():
        terms = method.terms_of(phase)
        error = accumulation_error(phase, terms, rounds)
        if error:
            lines.append(f"  {phase.name}: cannot accumulate: {error}")
            continue
        text = (f"  {phase.name:<8s} ({_when(phase)}): {rounds} round(s) of {options.batch_gpu} "
                f"of the replica's {per_replica}")
        once = [term.name for term in terms if term.batch_dependence == "none"]
        if once and rounds > 1:
            text += f"; once per step (own batch): {', '.join(once)}"
        lines.append(text)
    lines += ["  " + note for note in method.accumulation_notes(options.batch_gpu, per_replica)]
    return lines
