"""Tests for `bertsum summarize --backend ray`: options, and a local 2-worker Ray vs one process."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from app.cli import main
from model.commands import ray_backend

ARTICLES = [
    "The river rose overnight. Roads were closed. Schools opened late. The rain stopped.",
    "Markets fell on Monday. Banks led the losses. Oil was flat. Gold rose a little. "
    "Traders expect a rate cut.",
    "The team won the final. Fans filled the streets. The coach thanked the city.",
]
ray_installed = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="the [ray] extra is not installed"
)
Test = TypeVar("Test", bound=Callable[..., None])


def ray_data_test(test: Test) -> Test:
    """A test on the module's local Ray: marked `ray`, skipped without the extra.

    It ignores two warnings of Ray Data 2.60 itself, not of this project (which turns every
    warning into an error): Ray sets its own deprecated `DataContext.use_push_based_shuffle`
    (ray.data.context warns), and the completion-signaler thread of its file-listing pool can
    raise InterruptedError as the pool shuts down (ray.data._internal.dynamic_work_queue: a race
    between its join and its put), which pytest reports as an unhandled thread exception.
    """
    marks = (
        pytest.mark.ray,
        ray_installed,
        pytest.mark.usefixtures("local_ray"),
        pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context"),
        pytest.mark.filterwarnings(
            r"ignore:Exception in thread pool-\d+/completion-signaler"
            ":pytest.PytestUnhandledThreadExceptionWarning"
        ),
    )
    for mark in marks:
        test = mark(test)
    return test


def run(*args: str) -> int:
    """Run `bertsum` and return its exit status."""
    with pytest.raises(SystemExit) as ended:
        main(["--log-level", "WARNING", *args])
    return int(ended.value.code or 0)


def corpus(tmp_path: Path, documents: int = 24) -> Path:
    """A JSONL corpus of documents of different lengths, with string ids."""
    source = tmp_path / "docs.jsonl"
    rows = [
        {"id": f"d{i:03}", "article": " ".join(ARTICLES[i % 3] for _ in range(1 + i % 4))}
        for i in range(documents)
    ]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return source


def read_folder(folder: Path, suffix: str) -> list[dict[str, Any]]:
    """The rows of every file of a Ray output folder, files in name order."""
    files = sorted(folder.glob(f"*.{suffix}"))
    assert files, f"no .{suffix} files in {folder}"
    if suffix == "parquet":
        import pyarrow.parquet as pq

        return [row for f in files for row in pq.read_table(f).to_pylist()]
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def assert_same_summaries(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """Same ids in the same order, the same chosen sentences; scores equal to float32 noise."""
    assert [r["id"] for r in got] == [r["id"] for r in expected]
    for row, reference in zip(got, expected, strict=True):
        assert set(row) == set(reference)
        assert row["summary"] == reference["summary"]
        assert row["num_document_sentences"] == reference["num_document_sentences"]
        strip = [{k: v for k, v in s.items() if k != "score"} for s in row["sentences"]]
        assert strip == [
            {k: v for k, v in s.items() if k != "score"} for s in reference["sentences"]
        ]
        for a, b in zip(row["sentences"], reference["sentences"], strict=True):
            assert a["score"] == pytest.approx(b["score"], abs=1e-5)


def test_formats_from_names() -> None:
    assert ray_backend.input_format("s3://bucket/docs.parquet", "auto") == "parquet"
    assert ray_backend.input_format("docs.jsonl", "auto") == "jsonl"
    assert ray_backend.input_format("folder", "parquet") == "parquet"
    with pytest.raises(ray_backend.BackendError, match="--input-format"):
        ray_backend.input_format("folder", "auto")
    assert ray_backend.output_format("out.parquet", "auto") == "parquet"
    assert ray_backend.output_format("out", "auto") == "jsonl"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give --output DIR"),
        (["-o", "EXISTING"], "already exists"),
        (["-o", "NEW", "--workers", "0"], "--workers must be at least 1"),
        (["-o", "NEW", "--cpus-per-worker", "0"], "--cpus-per-worker must be positive"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    source = corpus(tmp_path, 2)
    (tmp_path / "EXISTING").mkdir()
    extra = [str(tmp_path / e) if e in ("EXISTING", "NEW") else e for e in extra]
    assert run("summarize", str(source), "--backend", "ray", *extra) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


def test_actor_error_is_found_in_ray_s_wrapper() -> None:
    wrapped = RuntimeError(
        "ray::MapWorker(MapBatches(SummarizeBatch)).submit() (pid=1, ip=10.0.0.1)\n"
        '  File "model/inference.py", line 119, in prepare_sentences\n'
        "ValueError: the text contains no sentences\n"
        "The above exception was the direct cause of the following exception:\n"
        "ValueError: document 'x': the text contains no sentences\n"
        "ray.exceptions.UserCodeException: UDF failed to process a data block."
    )
    assert ray_backend.actor_error(wrapped) == "document 'x': the text contains no sentences"
    assert ray_backend.actor_error(RuntimeError("lost\nnode died")) == "node died"


def test_ray_options_need_the_ray_backend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = corpus(tmp_path, 2)
    assert run("summarize", str(source), "--workers", "4", "-o", str(tmp_path / "o.jsonl")) == 2
    err = capsys.readouterr().err.strip()
    assert err == "bertsum summarize: --workers only apply with --backend ray"
    assert not (tmp_path / "o.jsonl").exists()


def test_stdin_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run("summarize", "-", "--backend", "ray", "-o", str(tmp_path / "o")) == 2
    assert "not stdin" in capsys.readouterr().err


def test_without_ray_it_says_how_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    source = corpus(tmp_path, 2)
    assert run("summarize", str(source), "--backend", "ray", "-o", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "[ray]" in err, err
    assert not (tmp_path / "out").exists()


RAY_START_ATTEMPTS = 3


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray for all the Ray tests of this module; the backend joins it and leaves it up.

    Starting Ray is the slow and load-sensitive part: 3 CPU slots (two 1-CPU actors and one for
    reading and writing), no dashboard, longer start-up waits, and up to three tries, since Ray
    waits a fixed 30 s for its raylet to register, which a loaded 2-core machine can miss.
    """
    import ray

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_gcs_server_port_wait_time_s", "120")  # GCS port: default 30 s
        patch.setenv("RAY_USAGE_STATS_ENABLED", "0")
        for attempt in range(1, RAY_START_ATTEMPTS + 1):
            try:
                ray.init(
                    num_cpus=3,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                    _system_config={"worker_register_timeout_seconds": 180},
                )
                break
            except Exception as error:  # Ray raises a bare Exception for a start-up timeout
                ray.shutdown()
                if "timed out" not in str(error) or attempt == RAY_START_ATTEMPTS:
                    raise
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def local_reference(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus and the single-process command's JSONL output for it."""
    work = tmp_path_factory.mktemp("ray-reference")
    source = corpus(work)
    out = work / "local.jsonl"
    assert run("summarize", str(source), "--checkpoint", str(tiny_checkpoint), "--ratio", "0.5",
               "-o", str(out)) == 0  # fmt: skip
    return source


@ray_data_test
def test_two_workers_match_one_process_jsonl(
    tiny_checkpoint: Path,
    local_reference: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import ray

    out = tmp_path / "ray-out"
    assert run("summarize", str(local_reference), "--checkpoint", str(tiny_checkpoint),
               "--ratio", "0.5", "--backend", "ray", "--workers", "2", "--rows-per-batch", "5",
               "-o", str(out)) == 0  # fmt: skip
    assert "bertsum summarize: 24 documents in" in capsys.readouterr().err
    assert ray.is_initialized(), "the backend shut down a Ray it had not started"
    expected_lines = (local_reference.parent / "local.jsonl").read_text().splitlines()
    expected = [json.loads(line) for line in expected_lines]
    got = read_folder(out, "jsonl")
    assert len(list(out.glob("*.jsonl"))) > 1  # several blocks, so order across files counts
    assert_same_summaries(got, expected)


@ray_data_test
def test_parquet_in_parquet_out(
    tiny_checkpoint: Path, local_reference: Path, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [json.loads(line) for line in local_reference.read_text().splitlines()]
    source = tmp_path / "docs"  # a folder of two files, read in name order
    source.mkdir()
    half = len(rows) // 2
    for number, part in enumerate((rows[:half], rows[half:])):
        pq.write_table(pa.Table.from_pylist(part), source / f"part-{number}.parquet")
    out = tmp_path / "out.parquet"
    # One worker: Ray Data reads these 24 rows as one block and warns that a second actor would
    # idle (a warning fails a test here); the JSONL test covers two workers.
    assert run("summarize", str(source), "--input-format", "parquet", "--checkpoint",
               str(tiny_checkpoint), "--ratio", "0.5", "--backend", "ray",
               "-o", str(out)) == 0  # fmt: skip
    expected_lines = (local_reference.parent / "local.jsonl").read_text().splitlines()
    got = read_folder(out, "parquet")
    assert_same_summaries(got, [json.loads(line) for line in expected_lines])
    schema = pq.read_schema(sorted(out.glob("*.parquet"))[0])
    assert schema.field("sentences").type == pa.list_(ray_backend.sentence_type())


@ray_data_test
def test_a_bad_row_fails_with_one_line(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.jsonl"
    rows = [{"id": "fine", "article": ARTICLES[0]}, {"id": "x", "article": "   "}]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "out"
    assert run("summarize", str(source), "--checkpoint", str(tiny_checkpoint),
               "--backend", "ray", "-o", str(out)) == 1  # fmt: skip
    ours = [line for line in capsys.readouterr().err.splitlines() if "bertsum summarize" in line]
    assert ours == ["bertsum summarize: document 'x': the text contains no sentences"], ours
