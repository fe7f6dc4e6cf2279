"""Sphinx configuration for pyconv's documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` after
``pip install ".[docs]"``. Every figure is drawn at build time by code that
calls the installed pyconv; the performance page reads the benchmark results
committed in ``_static/benchmark.json`` and ``_static/opencv.json``.
"""

import json
from pathlib import Path

import pyconv

DOCS = Path(__file__).resolve().parent

project = "pyconv"
author = "the pyconv-nd developers"
copyright = "2026, the pyconv-nd developers"
# The installed package's version (meson.build sets it), never a copy of it.
version = release = pyconv.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax itself, copied into _static/mathjax of the built pages and
    # loaded from there: the equations render without a network connection.
    "sphinx-mathjax-offline",
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "examples/GALLERY_HEADER.rst"]
templates_path = ["_templates"]
default_role = "autolink"
nitpicky = False  # no intersphinx (the build has no network): scipy names stay plain text

# -- API reference -----------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
# numpydoc checks every public docstring; a failed check is a warning, and -W
# makes it an error. Not checked: GL01/GL02 (where the text starts and the
# quotes close: `fill` normalises the docstring with inspect.cleandoc), ES01
# (an extended summary is not always useful), SA04 (See Also entries without a
# description), RT02 (named return values, as numpy and scipy write them).
numpydoc_validation_checks = {"all", "GL01", "GL02", "ES01", "SA04", "RT02"}

# -- Figures -------------------------------------------------------------------
plot_include_source = True
plot_html_show_source_link = False
# The figure first, then the code that drew it folded under a "Code for this
# figure" line (an HTML <details>): the pages show the pyconv calls in their
# examples, and the 15-70 lines of matplotlib stay out of the way until asked
# for. (matplotlib's own template, with the source moved below the figure.)
plot_template = """
.. only:: html

   {% for img in images %}
   .. figure:: {{ build_dir }}/{{ img.basename }}.{{ default_fmt }}
      {% for option in options -%}
      {{ option }}
      {% endfor %}

      {{ caption }}
   {% endfor %}

.. only:: not html

   {% for img in images %}
   .. figure:: {{ build_dir }}/{{ img.basename }}.*
      {% for option in options -%}
      {{ option }}
      {% endfor %}

      {{ caption }}
   {% endfor %}

{% if source_code %}
.. raw:: html

   <details class="plot-code"><summary>Code for this figure</summary>

{{ source_code }}

.. raw:: html

   </details>
{% endif %}
"""
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_working_directory = str(DOCS)  # so page code can read _static/benchmark.json
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\nimport pyconv\n"
plot_rcparams = {
    "figure.figsize": (7.0, 3.2),
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "savefig.bbox": "tight",
}
plot_apply_rcparams = True

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "generated/gallery",
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("pyconv",),
    "filename_pattern": r"/plot_",
    "write_computation_times": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"pyconv {release}"
html_static_path = ["_static"]
html_css_files = ["pyconv.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "install": [], "migrating": [], "performance": [], "api": []}


# -- Benchmark facts for the performance page ------------------------------------
def _benchmark_substitutions():
    """|bench_*| substitutions and a results table from _static/benchmark.json.

    The performance page states the machine, date and build the numbers come
    from; they are read here so the text always matches the committed JSON.
    """
    data = json.loads((DOCS / "_static" / "benchmark.json").read_text())
    config = data["config"]
    facts = {
        "bench_machine": data["machine"],
        "bench_date": data["date"].split()[0],
        "bench_workers": str(data["workers"]),
        "bench_version": config["pyconv"]["version"],
        "bench_compiler": config["build"]["compiler"],
        "bench_openmp": "OpenMP " + config["openmp"]["version"]
        if config["openmp"]["enabled"] else "no OpenMP",
        "bench_python": config["runtime"]["python"],
        "bench_numpy": config["runtime"]["numpy"],
    }
    rows = ["   * - case", "     - method", "     - pyconv", "     - scipy",
            "     - speed-up", "     - scipy's computation"]
    for result in data["results"]:
        speedup = f"{result['speedup']:.1f}x" if result["passed"] else "FAILED"
        rows += [f"   * - {result['case']}", f"     - {result['method']}",
                 f"     - {result['pyconv_seconds'] * 1e3:.2f} ms",
                 f"     - {result['scipy_seconds'] * 1e3:.2f} ms",
                 f"     - {speedup}", f"     - {result['reference']}"]
    _write_table("benchmark_table.inc", rows)
    return "\n".join(f".. |{key}| replace:: {value}" for key, value in facts.items())


def _write_generated(name, lines):
    """`lines` as generated/`name`, rewritten only when they change."""
    generated = DOCS / "generated"
    generated.mkdir(exist_ok=True)
    target = generated / name
    text = "\n".join(lines) + "\n"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def _write_table(name, rows):
    """A list-table of `rows` as generated/`name`."""
    _write_generated(name, [".. list-table::", "   :header-rows: 1",
                            "   :class: benchmark-table", ""] + rows)


def _superscripts(name):
    """'2048^2' as '2048²' (the case names are plain text)."""
    return name.replace("^2", "\u00b2").replace("^3", "\u00b3").replace("^7", "\u2077")


def _opencv_substitutions():
    """|cv_*| substitutions and the OpenCV table from _static/opencv.json."""
    data = json.loads((DOCS / "_static" / "opencv.json").read_text())
    limits = data["limits"]
    facts = {
        "cv_machine": data["machine"],
        "cv_date": data["date"].split()[0],
        "cv_version": data["opencv"],
        "cv_kernels": data.get("direct_kernels", "not recorded"),
        "cv_bandwidth": f"{limits['bandwidth'] / 1e9:.0f} GB/s",
        "cv_flops32": f"{limits['flops32'] / 1e9:.0f} GFLOP/s",
        "cv_flops64": f"{limits['flops64'] / 1e9:.0f} GFLOP/s",
        # "pyconv was faster in |cv_faster| cases"
        "cv_faster": f"{sum(r['passed'] and r['ratio'] < 1 for r in data['rows'])} of "
                     f"{len(data['rows'])}",
    }
    # The user's table (performance.rst): the two times and their ratio.
    rows = ["   * - case", "     - compared with", "     - its time", "     - pyconv",
            "     - pyconv / other"]
    # The developers' table (dev/performance_notes.rst): the same ratio
    # against the project's target, and pyconv's time against the floor.
    floor_rows = ["   * - case", "     - pyconv", "     - ratio", "     - target",
                  "     - × floor"]
    for row in data["rows"]:
        case = f"   * - {_superscripts(row['case'])}"
        rows += [case, f"     - {row['anchor']}"]
        floor_rows += [case]
        if not row["passed"]:
            rows += ["     - FAILED", "     -", "     -"]
            floor_rows += ["     - FAILED", "     -", "     -", "     -"]
            continue
        pyconv_time = f"     - {row['pyconv_seconds'] * 1e3:.2f} ms ({row['method']})"
        ratio = f"     - {row['ratio']:.2f}"
        rows += [f"     - {row['anchor_seconds'] * 1e3:.2f} ms", pyconv_time, ratio]
        floor_rows += [pyconv_time, ratio, f"     - {row['target']:.2f}",
                       f"     - {row['pyconv_seconds'] / row['floor_seconds']:.1f}"]
    _write_table("opencv_table.inc", rows)
    _write_table("opencv_floor_table.inc", floor_rows)
    fresh = data.get("scaling_fresh_output", {})
    scaling = ["   * - case", "     - into an output (``output=``)",
               "     - a new output each call"]
    for name, speedup in data["scaling"].items():
        scaling += [f"   * - {_superscripts(name)}", f"     - {speedup:.2f}x",
                    f"     - {fresh[name]:.2f}x" if name in fresh else "     - not measured"]
    _write_table("opencv_scaling.inc", scaling)
    return "\n".join(f".. |{key}| replace:: {value}" for key, value in facts.items())


rst_prolog = _benchmark_substitutions() + "\n" + _opencv_substitutions()


# -- The gallery card of the dask example ------------------------------------------
def _dask_thumbnail():
    """generated/dask_zarr_volume_thumb.png, the dask example's gallery card.

    That example is shown, not run (it starts a cluster and writes zarr
    stores), so it draws no figure of its own: this is one of its volume's
    slices, raw and smoothed with its kernel, with the chunk grid.
    """
    import numpy as np
    from matplotlib.figure import Figure

    volume = np.random.default_rng(0).standard_normal((9, 96, 96), dtype=np.float32)
    taps = np.exp(-0.5 * np.linspace(-2, 2, 5) ** 2)
    kernel = np.einsum("i,j,k->ijk", taps, taps, taps)
    smoothed = pyconv.correlate(volume, kernel / kernel.sum(), mode="nearest")
    fig = Figure(figsize=(4.0, 2.8))
    for ax, data, title in zip(fig.subplots(1, 2), [volume[4], smoothed[4]],
                               ["volume.zarr", "smoothed.zarr"], strict=True):
        ax.imshow(data, cmap="viridis")
        for edge in range(24, 96, 24):  # chunks of 24 x 24
            ax.axhline(edge - 0.5, color="white", linewidth=0.8)
            ax.axvline(edge - 0.5, color="white", linewidth=0.8)
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
    (DOCS / "generated").mkdir(exist_ok=True)
    fig.savefig(DOCS / "generated" / "dask_zarr_volume_thumb.png", dpi=100,
                bbox_inches="tight")


_dask_thumbnail()
