"""The pretraining run's loss-curve PNGs and report.md (rank 0)."""

from __future__ import annotations

from nemo_repro.plots import plot_curves
from nemo_repro.runs import RunDir, read_metrics


def write_report(run: RunDir, cfg, info: dict, result, blend_counts: dict[str, int]) -> None:
    rows = read_metrics(run.metrics.path) if run.metrics.path.exists() else []
    plot_curves(rows, ["loss"], run.path / "loss.png", "training loss", ylabel="cross entropy", tokens_per_step=cfg.global_batch_size * cfg.seq_length)
    plot_curves(rows, ["lr"], run.path / "lr.png", "learning rate", ylabel="lr")
    plot_curves(rows, ["grad_norm"], run.path / "grad_norm.png", "gradient norm (pre-clip)", ylabel="L2 norm")
    first = rows[0]["loss"] if rows else float("nan")
    mfu = [r["mfu"] for r in rows if isinstance(r.get("mfu"), float)]
    layout = info["layout"]
    lines = [
        "# Pretraining report",
        "",
        f"- model: {cfg.num_layers} layers, d={cfg.hidden_size}, {cfg.num_attention_heads} heads, seq {cfg.seq_length}, "
        f"{'SwiGLU' if cfg.swiglu else 'GeLU'}, vocab {info['vocab_size']} (padded {info['padded_vocab_size']})",
        f"- layer spec: {info['transformer_impl']}, dtype {info['dtype']}, fp8: {cfg.fp8 or 'off'}",
        f"- layout: TP={layout['tp']} PP={layout['pp']} DP={layout['dp']}; global batch {cfg.global_batch_size}, micro batch {cfg.micro_batch_size}",
        f"- steps: {result.steps}; loss {first:.4f} -> {result.final_loss:.4f}"
        + (f"; {result.skipped_steps} updates skipped by the optimizer (inf/NaN grads)" if result.skipped_steps else ""),
        f"- throughput: {result.tokens_per_s:,.0f} tokens/s" + (f", mean MFU {sum(mfu) / len(mfu):.1%}" if mfu else ""),
        f"- checkpoints: `{result.checkpoint_dir}`",
        "",
        "## Data: samples per prefix over the run",
        "",
        "| prefix | samples | share |",
        "|---|---|---|",
    ]
    total = sum(blend_counts.values()) or 1
    lines += [f"| `{prefix}` | {count} | {count / total:.1%} |" for prefix, count in blend_counts.items()]
    lines += ["", "![loss](loss.png)", "", "![lr](lr.png)", "", "![grad norm](grad_norm.png)"]
    run.write_report("\n".join(lines))
