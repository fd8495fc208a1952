"""offercoach: a rule-based coach for going back on a job offer."""
