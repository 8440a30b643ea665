"""Floor 3: stage-2 analysis and the reports, built on what stage 1 stores."""
