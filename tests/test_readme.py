"""The README's refimpl example runs as written."""
import pathlib

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs():
    text = README.read_text()
    example = text.split("## Using refimpl", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(compile(example, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["x"].shape == (4, 3, 8, 8)
    assert namespace["optimizer"].state  # the torch-style SGD took a momentum step
