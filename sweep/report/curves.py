"""A trial's learning curves on the report's page: click its point or its row, see its epochs.

Every trial records each epoch's objectives on the split they come from and its losses
(sweep.trial; the trials table's `curves` column). The page carries them as JSON and this
module's script draws the clicked trial's curves as small inline SVG charts, one per series,
epoch on x — no library, nothing fetched, so the page stays one offline file. A pruned trial's
curve ends where it was stopped. Kept apart from sweep.report.page: the page only places the
fragment.
"""

from __future__ import annotations

import json

import pandas as pd
from markupsafe import Markup

SCRIPT = """
<script>
"use strict";
(function () {
  const curves = JSON.parse(document.getElementById("curves-data").textContent);
  const panel = document.getElementById("curves");
  const headings = Array.from(document.querySelectorAll("#trials th")).map(th => th.textContent.trim());
  const studyColumn = headings.indexOf("study"), trialColumn = headings.indexOf("trial");
  function chart(name, values) {
    const width = 260, height = 150, pad = 34;
    const low = Math.min(...values), high = Math.max(...values), span = (high - low) || Math.abs(high) || 1;
    const x = i => pad + (values.length > 1 ? i * (width - 2 * pad) / (values.length - 1) : (width - 2 * pad) / 2);
    const y = v => height - pad + 10 - (v - low) * (height - 2 * pad) / span;
    const line = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    const dots = values.map((v, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3"><title>` +
      `epoch ${i + 1}: ${v.toPrecision(4)}</title></circle>`).join("");
    return `<svg class="curve" width="${width}" height="${height}" role="img" aria-label="${name} by epoch">` +
      `<text x="${pad}" y="14" font-size="12">${name}</text>` +
      `<text x="2" y="${y(high) + 4}" font-size="10">${high.toPrecision(4)}</text>` +
      `<text x="2" y="${y(low) + 4}" font-size="10">${low.toPrecision(4)}</text>` +
      `<text x="${width / 2 - 14}" y="${height - 4}" font-size="10">epoch 1–${values.length}</text>` +
      `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${line}"></polyline>${dots}</svg>`;
  }
  function show(key) {
    const trial = curves.trials[key];
    if (!trial) return;
    panel.innerHTML = `<h3>Learning curves of trial ${trial.label}</h3><p>${trial.note}</p>` +
      Object.entries(trial.series).map(([name, values]) => chart(name, values)).join("");
    panel.hidden = false;
  }
  for (const [id, key] of Object.entries(curves.points)) {
    const mark = document.querySelector(`#pareto svg [id="${id}"]`);
    if (mark) mark.addEventListener("click", () => show(key));
  }
  document.querySelectorAll("#trials tbody tr").forEach(row => row.addEventListener("click", () => {
    const study = studyColumn >= 0 ? row.cells[studyColumn].textContent.trim() : curves.study;
    show(`${study}:${row.cells[trialColumn].textContent.trim()}`);
  }));
})();
</script>
"""


def trial_curves(frames: dict[str, pd.DataFrame]) -> dict:
    """Each trial with a curve, keyed "study:number": its label, a note, and its series by epoch."""
    found = {}
    for study, frame in frames.items():
        if "curves" not in frame.columns:
            continue
        for row in frame.to_dict("records"):
            if not isinstance(row.get("curves"), str) or not row["curves"]:
                continue
            pruned = row.get("pruned_epoch")
            note = (f"pruned after epoch {int(pruned)}" if isinstance(pruned, (int, float)) and pruned == pruned
                    else "the objectives after each epoch, on the split they come from; the mean over seeds")
            found[f"{study}:{int(row['number'])}"] = {"label": f"{int(row['number'])}" + (f" ({study})" if len(frames) > 1
                                                                                     else ""),
                                                      "note": note, "series": json.loads(row["curves"])}
    return found


def fragment(frames: dict[str, pd.DataFrame], points: list) -> Markup:
    """The page's curves panel, its data and its script; nothing when no trial has a curve."""
    found = trial_curves(frames)
    if not found:
        return Markup("")
    data = {"trials": found, "study": next(iter(frames)),
            "points": {f"point-{index}": f"{study}:{int(number)}" for index, (study, number) in enumerate(points)}}
    text = json.dumps(data, sort_keys=True).replace("</", "<\\/")
    return Markup('<h2>Learning curves</h2>\n<p>Click a point on the plot or a row of the table to see its trial\'s '
                  'curves.</p>\n<div id="curves" hidden></div>\n'
                  f'<script type="application/json" id="curves-data">{text}</script>' + SCRIPT)
