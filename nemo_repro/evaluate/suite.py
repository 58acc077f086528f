"""The task tables: DCLM's 22 Core tasks and our embedded sample tasks.

Shot counts, formats and random baselines are DCLM's (`eval/eval_meta_data.csv`
of mlfoundations/dclm; the baselines are percents there, fractions here); the
continuation delimiters are those of DCLM's llm-foundry ICL config
(`eval/heavy.yaml`; llm-foundry's default delimiter is a single space). They are
stated here, not read from the csv at run time; a test checks they match it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FORMATS = ("multiple_choice", "schema", "language_modeling")


@dataclass(frozen=True)
class TaskSpec:
    name: str
    format: str  # one of FORMATS (llm-foundry's icl_task_type)
    num_fewshot: int
    baseline: float  # random-guess accuracy b of centered accuracy (acc - b) / (1 - b)
    continuation_delimiter: str = " "
    data_files: tuple[str, ...] = ()  # file names to look for, in order; default `<name>.jsonl`
    core: bool = True  # counts towards the DCLM Core score

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"task {self.name}: unknown format {self.format!r}; expected one of {FORMATS}")
        if not 0 <= self.baseline < 1:
            raise ValueError(f"task {self.name}: baseline {self.baseline} must be in [0, 1)")

    @property
    def candidates(self) -> tuple[str, ...]:
        return (f"{self.name}.jsonl", *self.data_files)


_ANSWER = "\nAnswer: "
MC, SCHEMA, LM = FORMATS

# Where DCLM's own file name differs from the task name (llm-foundry's eval bundle), it is accepted too.
DCLM_CORE: tuple[TaskSpec, ...] = (
    TaskSpec("agi_eval_lsat_ar", MC, 3, 0.25),
    TaskSpec("arc_challenge", MC, 10, 0.25, _ANSWER),
    TaskSpec("arc_easy", MC, 10, 0.25, _ANSWER),
    TaskSpec("bigbench_cs_algorithms", LM, 10, 0.0),
    TaskSpec("bigbench_dyck_languages", LM, 10, 0.0),
    TaskSpec("bigbench_language_identification", MC, 10, 0.25),
    TaskSpec("bigbench_operators", LM, 10, 0.0),
    TaskSpec("bigbench_qa_wikidata", LM, 10, 0.0),
    TaskSpec("bigbench_repeat_copy_logic", LM, 10, 0.0),
    TaskSpec("boolq", MC, 10, 0.62, _ANSWER),
    TaskSpec("commonsense_qa", MC, 10, 0.403),
    TaskSpec("copa", MC, 0, 0.50),
    TaskSpec("coqa", LM, 0, 0.0),
    TaskSpec("hellaswag", MC, 10, 0.25),
    TaskSpec("hellaswag_zeroshot", MC, 0, 0.25, data_files=("hellaswag.jsonl",)),
    TaskSpec("jeopardy", LM, 10, 0.0, _ANSWER, data_files=("jeopardy_all.jsonl",)),
    TaskSpec("lambada_openai", LM, 0, 0.0),
    TaskSpec("openbook_qa", MC, 0, 0.25),
    TaskSpec("piqa", MC, 10, 0.50, _ANSWER),
    TaskSpec("squad", LM, 10, 0.0),
    TaskSpec("winograd", SCHEMA, 0, 0.50, data_files=("winograd_wsc.jsonl",)),
    TaskSpec("winogrande", SCHEMA, 0, 0.50),
)

# The embedded quickstart tasks (written by `sample_tasks.py`). Not DCLM tasks; their
# baselines are exact: 1 / number of choices for multiple choice and schema, 0 for
# greedy-match language modeling.
SAMPLE_TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("sample_next_sentence", MC, 3, 0.25, core=False),
    TaskSpec("sample_topic_schema", SCHEMA, 0, 0.50, core=False),
    TaskSpec("sample_last_words", LM, 3, 0.0, core=False),
)

TASKS: dict[str, TaskSpec] = {t.name: t for t in DCLM_CORE + SAMPLE_TASKS}


def get_task(name: str) -> TaskSpec:
    """The spec of a known task; fails listing the known names."""
    if name not in TASKS:
        raise KeyError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}")
    return TASKS[name]


def find_data_file(spec: TaskSpec, data_dir: str | Path) -> Path | None:
    """The task's jsonl in `data_dir` or one level below (llm-foundry's `<category>/` folders)."""
    root = Path(data_dir)
    for name in spec.candidates:
        for path in [root / name, *sorted(root.glob(f"*/{name}"))]:
            if path.is_file():
                return path
    return None
