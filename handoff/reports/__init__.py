"""The review loop: events and cases in a SQL database, rollups, reports, import and export."""
