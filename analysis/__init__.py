"""Stage 2 of the plan (seed 001 l.1509-1515): forecasts, risk scores, issues and briefings per field.

Floor 3: imports the kernel and the domains (crawlers, models, alerts), never the application layer.
"""
