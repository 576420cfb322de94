"""Views: charts, HTML, widgets and the MIME record; registered as IPython formatters."""
