"""Outputs people look at: HTML report, saliency overlays, DICOM SR and Secondary Capture.

Entry point: ``write_reports(out_dir, kinds={"html", "sr", "sc"}, model=None)`` reads
``out_dir/results.jsonl`` (written by ``calcvision infer``) and writes ``report.html``,
``dicom_sr/*.dcm`` and ``dicom_sc/*.dcm`` beside it.
"""

from calcvision.report.writer import KINDS, ReportOutputs, parse_kinds, write_reports

__all__ = ["KINDS", "ReportOutputs", "parse_kinds", "write_reports"]
