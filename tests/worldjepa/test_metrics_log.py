"""The training metrics CSV: every key a step returns gets a column, resume cuts back to the checkpoint."""

import csv

from worldjepa.training.logger import MetricsLogger, read_metrics


def rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_a_new_term_adds_a_column_and_earlier_rows_stay_readable(tmp_path):
    logger = MetricsLogger(tmp_path)
    logger.log({"step": 1, "loss": 0.5})
    logger.log({"step": 2, "loss": 0.25, "vcreg_loss": 0.125})  # a term no list knew of
    logger.log({"step": 3, "loss": 0.2, "vcreg_loss": 0.1})
    logger.close()
    table = rows(tmp_path / "metrics.csv")
    assert table[0] == ["step", "loss", "vcreg_loss"]
    assert {len(r) for r in table} == {3}
    m = read_metrics(tmp_path / "metrics.csv")
    assert m["vcreg_loss"][1:] == [0.125, 0.1] and m["step"] == [1.0, 2.0, 3.0]
    assert logger.plot().stat().st_size > 1000


def test_floats_are_written_at_full_precision(tmp_path):
    logger = MetricsLogger(tmp_path)
    x = 0.1234567890123456789
    logger.log({"step": 1, "loss": x})
    logger.close()
    assert read_metrics(tmp_path / "metrics.csv")["loss"] == [x]


def test_resume_drops_the_rows_past_the_checkpoint(tmp_path):
    logger = MetricsLogger(tmp_path)
    for step in range(1, 8):
        logger.log({"step": step, "loss": 1.0 / step})
    logger.close()
    logger = MetricsLogger(tmp_path, resume_step=4)  # the killed run had logged 5..7 past it
    logger.log({"step": 5, "loss": 0.5})
    logger.close()
    assert read_metrics(tmp_path / "metrics.csv")["step"] == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_a_new_run_replaces_an_old_log(tmp_path):
    (tmp_path / "metrics.csv").write_text("step,loss\n1,9\n")
    logger = MetricsLogger(tmp_path)
    logger.log({"step": 1, "loss": 0.5})
    logger.close()
    assert read_metrics(tmp_path / "metrics.csv")["loss"] == [0.5]
