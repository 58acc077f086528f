import json

import pytest

from nemo_repro.mix.blend import read_blend, to_data_path, to_megatron_blend, write_blend


def _touch(prefix):
    for suffix in (".bin", ".idx"):
        prefix.with_name(prefix.name + suffix).write_bytes(b"")


def test_round_trip_relative_and_absolute(tmp_path):
    (tmp_path / "data").mkdir()
    inside, outside = tmp_path / "data" / "organic", tmp_path.parent / f"{tmp_path.name}_recycled"
    _touch(inside)
    _touch(outside)
    path = write_blend(tmp_path / "blend.json", [(1.0, inside), (0.5, outside)])
    raw = json.loads(path.read_text())
    assert raw[0] == [1.0, "data/organic"] and raw[1][1] == str(outside.resolve())
    entries = read_blend(path)
    assert to_megatron_blend(entries) == ([str(inside), str(outside.resolve())], [1.0, 0.5])
    assert to_data_path(entries) == ["1.0", str(inside), "0.5", str(outside.resolve())]


@pytest.mark.parametrize(
    "content, message",
    [
        ("{", "not valid JSON"),
        ("[]", "non-empty JSON list"),
        ('[[1.0]]', "entry 0 must be [weight, prefix]"),
        ('[[0, "x"]]', "entry 0 has weight 0"),
        ('[[1, "missing"]]', "entry 0: missing data file"),
    ],
)
def test_bad_blend_files_name_the_problem(tmp_path, content, message):
    path = tmp_path / "blend.json"
    path.write_text(content)
    with pytest.raises(ValueError) as info:
        read_blend(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_blend_records_the_tokenizer_and_pretraining_refuses_another(tmp_path, small_tokenizer_dir, gpt2_tokenizer_dir):
    from transformers import AutoTokenizer

    from nemo_repro.config.fields import ConfigError
    from nemo_repro.mix.blend import read_blend_tokenizer, tokenizer_record
    from nemo_repro.pretrain.data import check_blend_tokenizer

    _touch(tmp_path / "organic")
    record = tokenizer_record(small_tokenizer_dir, AutoTokenizer.from_pretrained(str(small_tokenizer_dir)))
    path = write_blend(tmp_path / "blend.json", [(1.0, tmp_path / "organic")], record)
    assert read_blend_tokenizer(path) == record and record["vocab_size"] == 512 and len(record["vocab_sha256"]) == 64
    assert [e.weight for e in read_blend(path)] == [1.0]
    check_blend_tokenizer(str(path), str(small_tokenizer_dir))  # the same vocabulary: accepted
    with pytest.raises(ConfigError, match=f"pretrain.tokenizer is not set, but .* set pretrain.tokenizer={small_tokenizer_dir}"):
        check_blend_tokenizer(str(path), None)
    with pytest.raises(ConfigError, match=f"pretrain.tokenizer={gpt2_tokenizer_dir} has another vocabulary"):
        check_blend_tokenizer(str(path), str(gpt2_tokenizer_dir))
