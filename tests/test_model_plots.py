"""Figures from training logs: the learning curve reads Lightning's CSV logs across a resume."""

from __future__ import annotations

from PIL import Image

from calcvision.model.plots import epoch_series, learning_curve_png

HEADER = "epoch,step,train_acc,val_acc,val_loss\n"


def test_epoch_series_takes_the_later_log_for_an_epoch_logged_twice(tmp_path):
    first, resumed = tmp_path / "v0.csv", tmp_path / "v1.csv"
    # Lightning writes step rows (no epoch metrics) and epoch rows; a run killed in epoch 2 left a partial row
    first.write_text(HEADER + "0,10,,0.40,1.2\n0,10,0.30,,\n1,20,,0.50,1.0\n1,20,0.45,,\n2,25,,0.10,3.0\n")
    resumed.write_text(HEADER + "2,30,,0.60,0.9\n2,30,0.55,,\n3,40,,0.65,0.8\n")
    s = epoch_series([first, resumed], ["val_acc", "train_acc", "mined_pool_false_alarm_rate"])
    assert s["val_acc"] == {0: 0.40, 1: 0.50, 2: 0.60, 3: 0.65}
    assert s["train_acc"] == {0: 0.30, 1: 0.45, 2: 0.55}
    assert s["mined_pool_false_alarm_rate"] == {}
    png = learning_curve_png([first, resumed], tmp_path / "curve.png")
    assert Image.open(png).size == (1100, 440)
