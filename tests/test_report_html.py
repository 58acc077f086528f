import base64

from nemo_repro.plots import plot_curves
from nemo_repro.report_html import write_html_report


def test_html_report_inlines_images_and_tables(tmp_path):
    png = plot_curves([{"step": 0, "loss": 2.0}, {"step": 1, "loss": 1.0}], ["loss"], tmp_path / "loss.png", "loss")
    md = tmp_path / "report.md"
    md.write_text("# Run\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![loss](loss.png)\n\n![gone](missing.png)\n")
    html = write_html_report(md).read_text()
    assert "<table>" in html and "<h1>Run</h1>" in html
    assert "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode() in html
    assert 'src="missing.png"' in html, "a missing image stays a plain reference"


def test_a_list_right_after_a_paragraph_renders_as_a_list(tmp_path):
    from nemo_repro.report_html import markdown_to_html

    text = "Counts reconcile: **yes**.\n- filtered: no marker (89), semantic_f1 (3)\n- tokens in the mix: organic 10\n\n```\nx\n- not a list\n```\n"
    html = markdown_to_html(text, tmp_path)
    assert "<li>filtered: no marker (89), semantic_f1 (3)</li>" in html and "<li>tokens in the mix: organic 10</li>" in html
    assert "<p>Counts reconcile: <strong>yes</strong>.</p>" in html
    assert "- not a list" in html, "fenced code is left as it is"
    numbered = markdown_to_html("Steps:\n1. one\n2. two\n", tmp_path)
    assert "<ol>" in numbered and "<li>two</li>" in numbered
