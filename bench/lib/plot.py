"""Latency-over-time PNGs for the bench reports (gnuplot, pngcairo). Stdlib only; no gnuplot => no PNG."""
import os
import shutil
import subprocess


def _q(s):
    return "'" + str(s).replace("'", "''") + "'"


def timeseries_png(png, panels, title, window=None, size=(900, 300)):
    """Writes `png`: one panel per entry of `panels`, stacked, sharing the x axis (seconds).

    panels: [{"ylabel", "log": bool, "lines": [(x list, y list, title, axis)] , "y2label": optional}]
            axis "y1" or "y2"; None in a y list is a gap.
    window: (x0, x1, label) shaded in every panel (the spike).
    Returns the PNG's path, or None when gnuplot is missing or fails (the reports then say so)."""
    if not shutil.which("gnuplot"):
        return None
    base = png[:-4]
    script = [f"set terminal pngcairo size {size[0]},{size[1] * len(panels) + 40} font 'sans,9'",
              f"set output {_q(png)}", "set datafile missing 'NaN'", "set grid", "set key top left horizontal",
              "set lmargin 10", "set rmargin 10", f"set multiplot layout {len(panels)},1 title {_q(title)}"]
    xs_all = [x for p in panels for line in p["lines"] for x in line[0]]
    if xs_all:
        script.append(f"set xrange [{min(xs_all)}:{max(xs_all)}]")
    for i, p in enumerate(panels):
        script += ["unset logscale", "unset y2tics", "unset y2label", "set ytics nomirror", "unset object"]
        if p.get("log"):
            script.append("set logscale y")
        script.append(f"set ylabel {_q(p['ylabel'])}")
        if p.get("y2label"):
            script += ["set y2tics", f"set y2label {_q(p['y2label'])}", "set y2range [0:*]"]
        script.append("set xlabel 'seconds'" if i == len(panels) - 1 else "unset xlabel")
        if window:
            script.append(f"set object 1 rect from {window[0]}, graph 0 to {window[1]}, graph 1 behind "
                          "fc rgb '#f4c7c3' fs solid 0.5 noborder")
            if window[2]:
                script.append(f"set label 1 {_q(window[2])} at {window[0]}, graph 0.06 offset 0.5,0")
        else:
            script.append("unset label 1")
        plots = []
        for j, (xs, ys, name, axis) in enumerate(p["lines"]):
            path = f"{base}.p{i}l{j}.dat"
            with open(path, "w") as f:
                for x, y in zip(xs, ys):
                    f.write(f"{x} {'NaN' if y is None else y}\n")
            plots.append(f"{_q(path)} using 1:2 with lines lw 1.5 title {_q(name)} axes x1{axis}")
        script.append("plot " + ", ".join(plots))
    script.append("unset multiplot")
    gp = base + ".gp"
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    out = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    for name in os.listdir(os.path.dirname(png) or "."):
        full = os.path.join(os.path.dirname(png) or ".", name)
        if full.startswith(base + ".p") and full.endswith(".dat") or full == gp:
            os.remove(full)
    if out.returncode != 0 or not os.path.exists(png):
        print(f"gnuplot failed: {out.stderr[-500:]}")
        return None
    return png
