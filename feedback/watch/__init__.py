"""The Front's watch pages beside the dashboard: hot spots and the monthly briefing reports."""
