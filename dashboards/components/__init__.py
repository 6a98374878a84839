"""Reusable widgets: tile, alert list and acknowledgement, map, filters, charts, grid."""
