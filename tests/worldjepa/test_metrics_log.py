"""The training metrics CSV: resuming keeps the file readable."""

import csv

from worldjepa.training.logger import COLUMNS, MetricsLogger, read_metrics


def test_resuming_a_log_written_before_a_new_column_keeps_its_columns(tmp_path):
    old = [c for c in COLUMNS if c != "idm_loss"]
    (tmp_path / "metrics.csv").write_text(",".join(old) + "\n" + ",".join(["1"] * len(old)) + "\n")
    logger = MetricsLogger(tmp_path, resume=True)
    logger.log({"step": 2, "loss": 0.5, "idm_loss": 0.25})
    logger.close()
    with open(tmp_path / "metrics.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert {len(r) for r in rows} == {len(old)}  # no row longer than the header
    assert read_metrics(tmp_path / "metrics.csv")["step"] == [1.0, 2.0]


def test_a_fresh_log_has_every_column(tmp_path):
    logger = MetricsLogger(tmp_path)
    logger.log({"step": 1, "idm_loss": 0.25})
    logger.close()
    assert read_metrics(tmp_path / "metrics.csv")["idm_loss"] == [0.25]
    assert logger.plot().stat().st_size > 1000
