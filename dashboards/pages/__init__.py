"""One module per page: `wall` (`/`) and the drill-downs `environment`, `traffic`, `services`,
`security`, `devices`. Each has `register(app)`, which registers the page and its callbacks on
that app."""
