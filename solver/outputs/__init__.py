"""What a clinic reads: key figures (kpis.json), charts, and the output files of a solve or a
re-plan, written all at once."""
