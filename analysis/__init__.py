"""Floor 3: stage-2 analysis and the reports, built on what stage 1 stores.

Stage 2 of the plan (seed 001 l.1509-1515): forecasts, risk scores, issues and briefings per field.
Imports the kernel and the domains (crawlers, models, alerts), never the application layer.
"""
