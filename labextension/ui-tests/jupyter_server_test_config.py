"""The JupyterLab server the Galata tests start: a temporary root, no token, Galata's helpers."""

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # type: ignore[name-defined]  # noqa: F821 - `c` is the config Jupyter passes in
