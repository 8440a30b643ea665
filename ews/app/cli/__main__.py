from ews.app.cli import app

app()
