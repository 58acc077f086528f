"""`nemo-repro`: one console script, a subcommand per capability, Hydra overrides after it.

    nemo-repro <subcommand> [--cfg job] [--help-config] [key=value ...]

A subcommand is registered in SUBCOMMANDS only once its capability works.
Each entry point has the signature `run(cfg: RootConfig, run: RunDir) -> int`.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import logging
import os
import signal
import sys
import threading
from typing import Any, Callable, Sequence

from nemo_repro.config.fields import ConfigError
from nemo_repro.config.root import LAUNCH_STAGES
from nemo_repro.runs import UsageError

log = logging.getLogger("nemo_repro.cli")

# name -> ("module:function", one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "quickstart": ("nemo_repro.quickstart:run", "the whole RePro loop on the embedded sample corpus with tiny models, on CPU, with a report"),
    "rl": ("nemo_repro.rl.train:run", "train the RePro rephraser with GRPO (TRL) on our rewards; writes metrics, checkpoints, final/ and a report"),
    "launch": ("launcher.launch:run", "run the configured stages as SLURM jobs (pyxis) or local processes; launch.dry_run=true only writes the scripts"),
    "recycle": ("curator_stages.pipeline:run", "recycle documents with NeMo Curator stages (segment, rephrase, score, filter, mix, tokenize); stage=<name> runs one stage"),
    "pretrain": ("nemo_repro.pretrain.cli:run", "pretrain a Megatron-Core GPT on a blend (TP/PP/DP; torchrun for several processes)"),
    "evaluate": ("nemo_repro.evaluate.runner:run", "lm-eval a checkpoint or HF model on local DCLM Core task files; compare=[runA,runB] compares runs"),
}


# name -> "module:function" checking the loaded `RootConfig` before any work (ConfigError: exit 2); for the
# checks whose rule lives above the config layer (the stage names live with the stages).
CONFIG_CHECKS: dict[str, str] = {
    "recycle": "curator_stages.registry:check_config",
}


def _load(name: str) -> Callable[..., Any]:
    module, func = name.split(":")
    return getattr(importlib.import_module(module), func)


def _entry(name: str) -> Callable[..., int]:
    return _load(SUBCOMMANDS[name][0])


def _load_config(overrides: Sequence[str], subcommand: str):
    """The composed config and its raw form, checked by the subcommand's CONFIG_CHECKS entry."""
    from nemo_repro.config.loader import load_config

    cfg, raw = load_config(list(overrides), subcommand=subcommand)
    if subcommand in CONFIG_CHECKS:
        _load(CONFIG_CHECKS[subcommand])(cfg)
    return cfg, raw


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nemo-repro",
        description="Recycle web text into pretraining data with RePro on the NVIDIA stack.",
        epilog="Overrides are Hydra `key=value` pairs, e.g. `nemo-repro pretrain pretrain.train_iters=10 run.dir=runs/x`.",
    )
    sub = parser.add_subparsers(dest="subcommand", metavar="<subcommand>")
    for name, (_, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--cfg", choices=["job", "all"], help="print the resolved config and exit (`job`: this subcommand's group; `all`: everything)")
        p.add_argument("--help-config", action="store_true", help="list every config key of this subcommand with its value in the selected config (after overrides) and its doc, and the group's options")
        p.add_argument("overrides", nargs="*", help="Hydra overrides, key=value")
    return parser


def _value_at(cfg, dotted: str) -> Any:
    for part in dotted.split("."):
        cfg = getattr(cfg, part)
    return cfg


def _print_config_help(subcommand: str, overrides: Sequence[str]) -> None:
    """Every key of the subcommand's section with its value in the selected config, then the group options.

    The values are those of the composed config (defaults list, then overrides), so
    `pretrain --help-config` shows the tiny config's 2 layers, not the schema's 24.
    """
    from nemo_repro.config.fields import describe
    from nemo_repro.config.loader import GROUPS, group_options, selected_options
    from nemo_repro.config.root import RootConfig

    cfg, _ = _load_config(overrides, subcommand)
    chosen = selected_options(list(overrides), subcommand=subcommand)
    schema = GROUPS.get(subcommand)
    rows = describe(schema, prefix=f"{subcommand}.") if schema else []
    rows += [r for r in describe(RootConfig) if r[0].split(".")[0] not in GROUPS]
    values = [("" if dataclasses.is_dataclass(v := _value_at(cfg, key)) else repr(v)) for key, _, _ in rows]
    width = max(len(r[0]) for r in rows)
    value_width = min(24, max(len(v) for v in values))
    groups = [subcommand] if subcommand in GROUPS else list(GROUPS)
    for group in groups:
        print(f"# {group}: {chosen.get(group)} (options: {', '.join(group_options(group))}; pick one with {group}=<option>)")
    print(f"# values after the defaults list and overrides{': ' + ' '.join(overrides) if overrides else ''}")
    for (key, _, doc), value in zip(rows, values):
        print(f"{key:<{width}}  {value:<{value_width}}  {doc.splitlines()[0] if doc else ''}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.subcommand:
        _parser().print_help()
        return 0
    if args.help_config:
        try:
            _print_config_help(args.subcommand, args.overrides)
        except ConfigError as exc:
            print(f"nemo-repro {args.subcommand}: config error: {exc}", file=sys.stderr)
            return 2
        return 0
    from omegaconf import OmegaConf

    from nemo_repro.runs import RunDir, seed_everything

    try:
        cfg, raw = _load_config(args.overrides, args.subcommand)
    except ConfigError as exc:
        print(f"nemo-repro {args.subcommand}: config error: {exc}", file=sys.stderr)
        return 2
    if args.cfg:
        node = raw if args.cfg == "all" or args.subcommand not in raw else OmegaConf.create({args.subcommand: raw[args.subcommand], "run": raw.run})
        print(OmegaConf.to_yaml(node, resolve=True), end="")
        return 0
    if args.subcommand in LAUNCH_STAGES:
        from nemo_repro.stack_check import StackMismatch, check_if_asked

        try:
            check_if_asked()
        except StackMismatch as exc:
            print(f"nemo-repro {args.subcommand}: {exc}", file=sys.stderr)
            return 3
    logging.basicConfig(level=cfg.run.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cfg.run.progress = cfg.run.progress and sys.stderr.isatty()  # no bars in redirected logs
    try:
        run = RunDir.start(args.subcommand, raw, cfg.run.dir, cfg.base_results_dir)
    except UsageError as exc:
        print(f"nemo-repro {args.subcommand}: {exc}", file=sys.stderr)
        return 2
    # Which copy of the code ran (image install, code mount, checkout) is the first thing to know on a cluster.
    log.info("nemo_repro from %s", os.path.dirname(os.path.abspath(__file__)))
    cfg.run.dir = str(run.path)
    seed_everything(cfg.run.seed)
    previous_sigterm = _sigterm_raises()
    try:
        return int(_entry(args.subcommand)(cfg, run) or 0)
    except ConfigError as exc:
        log.error("config error: %s", exc)
        print(f"nemo-repro {args.subcommand}: config error: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        log.error("%s", exc)
        print(f"nemo-repro {args.subcommand}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        log.error("interrupted (Ctrl-C or SIGTERM); committed work stays in %s and a rerun resumes it", run.path)
        return 130
    except Exception:
        log.exception("nemo-repro %s failed; the log is %s", args.subcommand, run.path / "logs" / f"{args.subcommand}.log")
        return 1
    finally:
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)
        run.close()


def _sigterm_raises():
    """SIGTERM raises KeyboardInterrupt like Ctrl-C, so cleanup (Ray shutdown, lock release) runs; returns the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    return signal.signal(signal.SIGTERM, handler)


if __name__ == "__main__":
    sys.exit(main())
